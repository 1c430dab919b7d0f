using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Tests.Infrastructure;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>A Synthea note posted to the real server is coded by the jobs and written back; the same tests on each backend.</summary>
public abstract class CodingEndToEndTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : CodingServerFixture
{
    static readonly FhirJsonDeserializer Json = new();
    readonly CodingTestClient _coding = new(fixture);

    [BackendFact]
    public async Task GivenASyntheaPatientEncounterAndNote_WhenPosted_ThenConditionsClaimAndProvenanceAreWrittenAndValidate()
    {
        var note = await PostAsync(SyntheaNote.Load("inpatient"));
        var task = await WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Completed);

        var conditions = await SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}");
        var claims = await SearchAsync<Claim>($"Claim?encounter=Encounter/{note.Encounter.Id}");

        Assert.NotEmpty(conditions);
        Assert.Contains(conditions, c => c.Code!.Coding[0].Code == "N39.0"); // "escherichia coli urinary tract infection"
        var claim = Assert.Single(claims);
        Assert.Equal(conditions.Count, claim.Diagnosis.Count);
        Assert.Equal("principal", claim.Diagnosis[0].Type[0].Coding[0].Code);
        var written = new List<Resource>(conditions) { claim };
        foreach (var resource in written.ToList())
        {
            var provenance = Assert.Single(await SearchAsync<Provenance>($"Provenance?target={resource.TypeName}/{resource.Id}"));
            written.Add(provenance);
            foreach (var entity in provenance.Entity)
            {
                Assert.Equal($"DocumentReference/{note.Document.Id}/_history/1", entity.What.Reference);
                var span = entity.GetExtension("http://hl7.org/fhir/StructureDefinition/derivation-reference")!;
                var offset = span.GetExtensionValue<Integer>("offset").Value!.Value;
                var length = span.GetExtensionValue<Integer>("length").Value!.Value;
                Assert.Equal(note.NoteText.Substring(offset, length), entity.What.Display);
            }
        }
        written.Add(task);
        var errors = written.SelectMany(ProfileValidator.Errors).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [BackendFact]
    public async Task GivenACodedNote_WhenItsRequestRunsAgain_ThenTheSameResourcesAreWrittenWithoutDuplicatesOrNewVersions()
    {
        var note = await PostAsync(SyntheaNote.Load("outpatient"));
        await WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Completed);
        var before = await SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}");

        var store = fixture.Factory.Services.GetRequiredService<IResourceStore>();
        var requests = fixture.Factory.Services.GetRequiredService<CodingRequests>();
        var id = CodingRequests.IdFor("DocumentReference", note.Document.Id!);
        var rerunStarted = DateTimeOffset.UtcNow;
        await store.WriteAsync([], async (tx, ct) =>
        {
            await using var reopen = tx.Connection!.CreateCommand();
            reopen.Transaction = tx;
            reopen.CommandText = $"UPDATE coding_request SET status = 'pending' WHERE id = '{id}'";
            await reopen.ExecuteNonQueryAsync(ct);
        });
        await WaitAsync(async () => (await requests.GetAsync(id, default))!.Status == CodingRequestStatus.Done);

        var after = await SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}");
        Assert.NotEmpty(before);
        Assert.Equal(before.Select(c => $"{c.Id}@{c.Meta!.VersionId}").Order(), after.Select(c => $"{c.Id}@{c.Meta!.VersionId}").Order());
        Assert.Single(await SearchAsync<Claim>($"Claim?encounter=Encounter/{note.Encounter.Id}"));
        Assert.True((await requests.GetAsync(id, default))!.Attempts >= 2); // at-least-once: what matters is that reruns change nothing
        var since = Uri.EscapeDataString(rerunStarted.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
        var written = Json.Deserialize<Bundle>(await _coding.Http.GetStringAsync($"/_history?_since={since}"));
        Assert.True(written.Total == 0, "the rerun wrote " + string.Join(", ", written.Entry.Select(e => e.FullUrl)));
    }

    [BackendFact]
    public async Task GivenANewVersionOfTheNote_WhenCoded_ThenSuggestionsItNoLongerSupportsAreEnteredInErrorAndHistoryKeepsThem()
    {
        var note = await PostAsync(SyntheaNote.Load("inpatient"), documentId: "superseded-note");
        await WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Completed);
        var uti = (await SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}")).Single(c => c.Code!.Coding[0].Code == "N39.0" && c.Evidence[0].Detail[0].Reference == "DocumentReference/superseded-note");

        var revised = (DocumentReference)note.Document.DeepCopy();
        revised.Meta = null;
        revised.Content[0].Attachment.Data = Encoding.UTF8.GetBytes(note.NoteText.Replace("escherichia coli urinary tract infection", "no complaints"));
        Assert.Equal(HttpStatusCode.OK, (await _coding.Http.PutAsync($"/DocumentReference/{revised.Id}", Body(revised))).StatusCode);
        await WaitForTaskAsync(revised.Id!, status => status is FhirTask.TaskStatus.Completed, focusVersion: "2");

        var current = Json.Deserialize<Condition>(await _coding.Http.GetStringAsync($"/Condition/{uti.Id}"));
        var history = Json.Deserialize<Bundle>(await _coding.Http.GetStringAsync($"/Condition/{uti.Id}/_history"));
        Assert.Equal("entered-in-error", current.VerificationStatus!.Coding[0].Code);
        Assert.True(history.Entry.Count == 2, string.Join("\n", history.Entry.Select(e => new FhirJsonSerializer().SerializeToString(e.Resource!))));
        Assert.Empty(ProfileValidator.Errors(current));
    }

    [BackendFact]
    public async Task GivenTwoNotesOfOneEncounter_WhenBothAreCoded_ThenTheOneClaimHasTheDiagnosesOfBoth_AndANewVersionDroppingACodeDropsOnlyThatOne()
    {
        var first = await PostAsync(SyntheaNote.Load("inpatient"), documentId: "encounter-note-1");
        var second = SyntheaNote.Load("outpatient").Document;
        second.Id = "encounter-note-2";
        second.Subject = first.Document.Subject;
        second.Context!.Encounter[0].Reference = $"Encounter/{first.Encounter.Id}";
        Assert.True((await _coding.Http.PutAsync($"/DocumentReference/{second.Id}", Body(second))).IsSuccessStatusCode);
        await WaitForTaskAsync(first.Document.Id!, status => status is FhirTask.TaskStatus.Completed);
        await WaitForTaskAsync(second.Id, status => status is FhirTask.TaskStatus.Completed);

        var claim = Assert.Single(await SearchAsync<Claim>($"Claim?encounter=Encounter/{first.Encounter.Id}"));
        var codes = claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code).ToList();
        Assert.Contains("N39.0", codes); // from the first note
        Assert.Contains("I10", codes);   // from the second
        Assert.Equal(codes.Distinct(), codes);
        var current = (await SearchAsync<Condition>($"Condition?encounter=Encounter/{first.Encounter.Id}"))
            .Where(c => c.VerificationStatus!.Coding[0].Code != "entered-in-error").Select(c => c.Code!.Coding[0].Code).Distinct().Order();
        Assert.Equal(current, codes.Order());
        var quoted = Assert.Single(await SearchAsync<Provenance>($"Provenance?target=Claim/{claim.Id}")).Entity.Select(e => e.What.Reference).Distinct().Order();
        Assert.Equal(["DocumentReference/encounter-note-1/_history/1", "DocumentReference/encounter-note-2/_history/1"], quoted);

        var revised = (DocumentReference)second.DeepCopy();
        revised.Content[0].Attachment.Data = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(second.Content[0].Attachment.Data!).Replace("hypertension", "complaints"));
        Assert.Equal(HttpStatusCode.OK, (await _coding.Http.PutAsync($"/DocumentReference/{revised.Id}", Body(revised))).StatusCode);
        await WaitForTaskAsync(revised.Id!, status => status is FhirTask.TaskStatus.Completed, focusVersion: "2");

        var rebuilt = Assert.Single(await SearchAsync<Claim>($"Claim?encounter=Encounter/{first.Encounter.Id}"));
        var rebuiltCodes = rebuilt.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code).ToList();
        Assert.DoesNotContain("I10", rebuiltCodes);
        Assert.Contains("N39.0", rebuiltCodes);
        Assert.Equal("principal", rebuilt.Diagnosis[0].Type[0].Coding[0].Code);
        Assert.Empty(ProfileValidator.Errors(rebuilt));
    }

    [BackendFact]
    public async Task GivenANoteInAFormatWeCannotRead_WhenIntaken_ThenItsTaskFailsWithAClearOperationOutcome()
    {
        var note = SyntheaNote.Load("outpatient");
        note.Document.Content[0].Attachment.ContentType = "application/pdf";
        await PostAsync(note, documentId: "pdf-note");

        var task = await WaitForTaskAsync("pdf-note", status => status is FhirTask.TaskStatus.Failed);

        var outcome = Assert.IsType<OperationOutcome>(Assert.Single(task.Contained));
        Assert.Contains("application/pdf", outcome.Issue[0].Diagnostics);
        Assert.Empty(ProfileValidator.Errors(task));
    }

    [BackendFact]
    public async Task GivenAStoredNote_WhenCodeIsCalledSynchronously_ThenTheAnswerHasCodesSpansAndRejectedCandidates()
    {
        var note = await PostAsync(SyntheaNote.Load("outpatient"), documentId: "sync-note");

        var response = await _coding.Http.PostAsync("/DocumentReference/sync-note/$code", Body(new Parameters()));
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var answer = Json.Deserialize<Parameters>(body);
        var hypertension = answer.Parameter.Single(p => p.Name == "code" && ((Hl7.Fhir.Model.Coding)p.Part[0].Value!).Code == "I10");
        var span = hypertension.Part.First(p => p.Name == "span");
        var offset = ((Integer)span.Part[0].Value!).Value!.Value;
        var length = ((Integer)span.Part[1].Value!).Value!.Value;
        Assert.Equal(((FhirString)span.Part[2].Value!).Value, note.NoteText.Substring(offset, length));
        Assert.Contains(answer.Parameter, p => p.Name == "written" && ((ResourceReference)p.Value!).Reference!.StartsWith("Claim/"));
    }

    [BackendFact]
    public async Task GivenInlineText_WhenCodeIsCalledWithRespondAsync_Then202ThenTheStatusUrlAnswersWithTheResult()
    {
        var input = new Parameters();
        input.Add("text", new FhirString("Assessment: essential hypertension. No evidence of pneumonia."));
        var request = new HttpRequestMessage(HttpMethod.Post, "/$code") { Content = Body(input) };
        request.Headers.Add("Prefer", "respond-async");

        var accepted = await _coding.Http.SendAsync(request);
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"{(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        var status = accepted.Content.Headers.ContentLocation ?? new Uri(accepted.Headers.GetValues("Content-Location").Single());
        HttpResponseMessage? done = null;
        await WaitAsync(async () => (done = await _coding.Http.GetAsync(status)).StatusCode == HttpStatusCode.OK);
        var answer = Json.Deserialize<Parameters>(await done!.Content.ReadAsStringAsync());

        Assert.Contains(answer.Parameter, p => p.Name == "code" && ((Hl7.Fhir.Model.Coding)p.Part[0].Value!).Code == "I10");
        Assert.Contains(answer.Parameter, p => p.Name == "rejected" && p.Part.Any(r => r.Name == "reason" && r.Value!.ToString()!.Contains("negated")));
        Assert.Equal(HttpStatusCode.Conflict, (await _coding.Http.DeleteAsync(status)).StatusCode);
    }

    [BackendFact]
    public async Task GivenTheCodersDeviceWasDeleted_WhenTheNextNoteIsCoded_ThenTheDeviceIsStoredAgain()
    {
        // Once stored, the Device is left out of later write-backs; a deleted one must come back with the next note.
        var first = await PostAsync(SyntheaNote.Load("outpatient"), documentId: "device-first");
        await WaitForTaskAsync("device-first", status => status is FhirTask.TaskStatus.Completed);
        var condition = (await SearchAsync<Condition>($"Condition?encounter=Encounter/{first.Encounter.Id}")).First();
        var device = Assert.Single(await SearchAsync<Provenance>($"Provenance?target=Condition/{condition.Id}")).Agent[0].Who!.Reference!;
        Assert.Equal(HttpStatusCode.OK, (await _coding.Http.GetAsync(device)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _coding.Http.DeleteAsync(device)).StatusCode);

        await PostAsync(SyntheaNote.Load("outpatient"), documentId: "device-second");
        await WaitForTaskAsync("device-second", status => status is FhirTask.TaskStatus.Completed);

        Assert.Equal(HttpStatusCode.OK, (await _coding.Http.GetAsync(device)).StatusCode);
    }

    /// <summary>Stores the note under its own encounter (tests share the database, and a Claim is per encounter).</summary>
    async Task<SyntheaNote> PostAsync(SyntheaNote note, string? documentId = null, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        note.Document.Id = documentId ?? "note-" + Math.Abs(test.GetHashCode());
        note.Encounter.Id = "enc-" + note.Document.Id;
        note.Document.Context!.Encounter[0].Reference = $"Encounter/{note.Encounter.Id}";
        await _coding.PutAsync(note.Patient, note.Encounter, note.Document);
        return note;
    }

    Task<FhirTask> WaitForTaskAsync(string documentId, Func<FhirTask.TaskStatus?, bool> done, string focusVersion = "1") =>
        _coding.WaitForTaskAsync(documentId, done, focusVersion);

    static Task WaitAsync(Func<Task<bool>> condition) => CodingTestClient.WaitAsync(condition);

    Task<List<T>> SearchAsync<T>(string query) where T : Resource => _coding.SearchAsync<T>(query);

    static StringContent Body(Resource resource) => CodingTestClient.Body(resource);
}

public sealed class SqliteCodingEndToEndTests(SqliteCodingServerFixture fixture) : CodingEndToEndTests<SqliteCodingServerFixture>(fixture);

public sealed class PostgresCodingEndToEndTests(PostgresCodingServerFixture fixture) : CodingEndToEndTests<PostgresCodingServerFixture>(fixture);
