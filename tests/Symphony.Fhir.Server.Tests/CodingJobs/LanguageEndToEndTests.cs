using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Tests.Infrastructure;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>A note is coded in its own language (DocumentReference.language, else the attachment's, else the server's default); the same tests on each backend.</summary>
public abstract class LanguageEndToEndTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : CodingServerFixture
{
    // Read as Spanish: E11.9 and I10. Read as English, "hipertensión arterial" matches nothing.
    const string SpanishNote = "Paciente con diabetes mellitus tipo 2 e hipertensión arterial.";
    static readonly FhirJsonDeserializer Json = new();
    readonly CodingTestClient _coding = new(fixture);

    [BackendFact]
    public async Task GivenASpanishNote_WhenCoded_ThenTheSpanishLexiconFindsItsCodes_AndTheTaskNamesTheLanguage()
    {
        var note = await PostAsync(SpanishNote, "spanish-note", language: "es");

        var task = await _coding.WaitForTaskAsync(note, status => status is FhirTask.TaskStatus.Completed);

        var codes = await ConditionCodesAsync(note);
        Assert.Contains("E11.9", codes);
        Assert.Contains("I10", codes);
        Assert.Equal("es", LanguageOf(task));
        Assert.Empty(ProfileValidator.Errors(task));
    }

    [BackendFact]
    public async Task GivenTheSameTextWithNoLanguage_WhenCoded_ThenItIsReadInTheDefaultEnglish_AndFindsLess()
    {
        var note = await PostAsync(SpanishNote, "unlabelled-note");

        var task = await _coding.WaitForTaskAsync(note, status => status is FhirTask.TaskStatus.Completed);

        Assert.DoesNotContain("I10", await ConditionCodesAsync(note));
        Assert.Equal("en", LanguageOf(task));
    }

    [BackendFact]
    public async Task GivenOnlyTheAttachmentSaysSpanishWithARegion_WhenCoded_ThenItIsReadAsSpanish()
    {
        var note = await PostAsync(SpanishNote, "attachment-language-note", attachmentLanguage: "ES-es");

        var task = await _coding.WaitForTaskAsync(note, status => status is FhirTask.TaskStatus.Completed);

        Assert.Contains("I10", await ConditionCodesAsync(note));
        Assert.Equal("es", LanguageOf(task));
    }

    [BackendFact]
    public async Task GivenANoteInALanguageTheCoderDoesNotRead_WhenCoded_ThenItsTaskFailsWithAnOperationOutcomeNamingTheLanguages()
    {
        var note = await PostAsync("Patient atteint de diabète de type 2.", "french-note", language: "fr");

        var task = await _coding.WaitForTaskAsync(note, status => status is FhirTask.TaskStatus.Failed);

        var outcome = Assert.IsType<OperationOutcome>(Assert.Single(task.Contained));
        var message = outcome.Issue[0].Diagnostics;
        Assert.Contains("language 'fr' is not supported; supported: en, es", message);
        Assert.Contains("DocumentReference.language", message);
        Assert.Empty(await ConditionCodesAsync(note));
        Assert.Empty(ProfileValidator.Errors(task));
    }

    [BackendFact]
    public async Task GivenInlineText_WhenCodeIsCalledWithLanguageEs_ThenTheAnswerHasTheSpanishCodesAndSaysEs()
    {
        var spanish = await CodeInlineAsync(SpanishNote, "es");
        var english = await CodeInlineAsync(SpanishNote, null);

        Assert.Contains("I10", Codes(spanish));
        Assert.Equal("es", LanguageOf(spanish));
        Assert.DoesNotContain("I10", Codes(english));
        Assert.Equal("en", LanguageOf(english));
    }

    [BackendFact]
    public async Task GivenInlineText_WhenCodedAsynchronouslyWithLanguageEs_ThenTheWorkerReadsItAsSpanish()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/$code") { Content = CodingTestClient.Body(InlineInput(SpanishNote, "es")) };
        request.Headers.Add("Prefer", "respond-async");

        var accepted = await _coding.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        HttpResponseMessage? done = null;
        await CodingTestClient.WaitAsync(async () => (done = await _coding.Http.GetAsync(accepted.Content.Headers.ContentLocation)).StatusCode == HttpStatusCode.OK);
        var answer = Json.Deserialize<Parameters>(await done!.Content.ReadAsStringAsync());

        Assert.Contains("I10", Codes(answer));
        Assert.Equal("es", LanguageOf(answer));
    }

    [BackendFact]
    public async Task GivenInlineTextInAnUnsupportedLanguage_WhenCodeIsCalled_ThenItIsRejectedWithTheSupportedLanguages()
    {
        var response = await _coding.Http.PostAsync("/$code", CodingTestClient.Body(InlineInput(SpanishNote, "fr-FR")));

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("language 'fr-FR' is not supported; supported: en, es", body);
    }

    [BackendFact]
    public async Task GivenAStoredNote_WhenCodeIsCalledOnItWithALanguage_ThenItIsRefusedBecauseTheNoteSaysItsLanguage()
    {
        var note = await PostAsync(SpanishNote, "override-note", language: "es");
        var input = new Parameters();
        input.Add("language", new Code("en"));

        var response = await _coding.Http.PostAsync($"/DocumentReference/{note}/$code", CodingTestClient.Body(input));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("DocumentReference.language", await response.Content.ReadAsStringAsync());
    }

    /// <summary>A Synthea note with the given text and language tags, under its own encounter; returns the note's id.</summary>
    async Task<string> PostAsync(string text, string id, string? language = null, string? attachmentLanguage = null)
    {
        var note = SyntheaNote.Load("outpatient");
        note.Document.Id = id;
        note.Document.Language = language;
        note.Document.Content[0].Attachment.Data = Encoding.UTF8.GetBytes(text);
        note.Document.Content[0].Attachment.Language = attachmentLanguage;
        note.Encounter.Id = "enc-" + id;
        note.Document.Context!.Encounter[0].Reference = $"Encounter/{note.Encounter.Id}";
        await _coding.PutAsync(note.Patient, note.Encounter, note.Document);
        return id;
    }

    async Task<List<string>> ConditionCodesAsync(string documentId) =>
        (await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/enc-{documentId}")).Select(c => c.Code!.Coding[0].Code!).ToList();

    async Task<Parameters> CodeInlineAsync(string text, string? language)
    {
        var response = await _coding.Http.PostAsync("/$code", CodingTestClient.Body(InlineInput(text, language)));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return Json.Deserialize<Parameters>(body);
    }

    static Parameters InlineInput(string text, string? language)
    {
        var input = new Parameters();
        input.Add("text", new FhirString(text));
        input.Add("setting", new Code("outpatient"));
        if (language is not null) input.Add("language", new Code(language));
        return input;
    }

    static List<string> Codes(Parameters answer) =>
        answer.Parameter.Where(p => p.Name == "code").Select(p => ((Hl7.Fhir.Model.Coding)p.Part[0].Value!).Code!).ToList();

    static string? LanguageOf(Parameters answer) => ((Code)answer.Parameter.Single(p => p.Name == "language").Value!).Value;

    static string? LanguageOf(FhirTask task) => ((Code)task.Input.Single(i => i.Type.Text == "language").Value!).Value;
}

public sealed class SqliteLanguageEndToEndTests(SqliteCodingServerFixture fixture) : LanguageEndToEndTests<SqliteCodingServerFixture>(fixture);

public sealed class PostgresLanguageEndToEndTests(PostgresCodingServerFixture fixture) : LanguageEndToEndTests<PostgresCodingServerFixture>(fixture);
