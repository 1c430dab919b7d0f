using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Review;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Tests.CodingJobs;
using Symphony.Fhir.Server.Tests.Infrastructure;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Review;

/// <summary>
/// Decisions across note versions (carried when their words are still there, else marked needs-review) and a PUT of a coded
/// Condition recorded as the same decision $review makes, on a history-and-physical note such as MTSamples holds.
/// </summary>
public abstract class ReviewVersionTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : CodingServerFixture
{
    static readonly FhirJsonDeserializer Json = new();
    readonly CodingTestClient _coding = new(fixture);

    const string Note = """
        HISTORY OF PRESENT ILLNESS: This is a 68-year-old female with a history of hypertension and type 2 diabetes mellitus who presents with dysuria and urinary frequency for three days.

        ASSESSMENT:
        1. Urinary tract infection.
        2. Hypertension.

        PLAN: Start nitrofurantoin for the urinary tract infection. Continue lisinopril and metformin.
        """;

    const string ChiefComplaint = "CHIEF COMPLAINT: Burning with urination and lower abdominal discomfort since Sunday.\n\n";

    [BackendFact]
    public async Task GivenAcceptedAndRejectedCodes_WhenTextIsInsertedBeforeTheirEvidence_ThenTheNewVersionKeepsBothDecisionsWithShiftedSpans()
    {
        var note = await CodedAsync(Note);
        var conditions = await ConditionsAsync(note);
        Assert.True(conditions.ContainsKey("I10") && conditions.ContainsKey("N39.0"), Describe(conditions));
        Assert.Equal(HttpStatusCode.OK, (await ReviewAsync(note.Document.Id!,
            Decision("I10", "accept"), Decision("N39.0", "reject", "dysuria without culture: not coded yet"))).StatusCode);
        var first = await DecisionsAsync(note.Document.Id!, 1);

        await NewVersionAsync(note, ChiefComplaint + Note);

        var carried = await DecisionsAsync(note.Document.Id!, 2);
        Assert.Equal(first.Select(d => (d.Code, d.Action, d.Reviewer, d.Reason)), carried.Select(d => (d.Code, d.Action, d.Reviewer, d.Reason)));
        Assert.All(carried, d => Assert.Equal(1, d.CarriedFrom));
        Assert.Equal(first.SelectMany(d => d.Spans).Select(s => (s.Start + ChiefComplaint.Length, s.Length, s.Text)),
            carried.SelectMany(d => d.Spans).Select(s => (s.Start, s.Length, s.Text)));
        var text = ChiefComplaint + Note;
        Assert.All(carried.SelectMany(d => d.Spans), s => Assert.Equal(s.Text, text.Substring(s.Start, s.Length)));

        // The accepted Condition's Provenance now quotes version 2 at the same words.
        var hypertension = await _coding.ReadAsync<Condition>($"/Condition/{WriteBack.ConditionId(note.Document.Id!, CodeSystems.Icd10Cm, "I10")}");
        Assert.Equal("confirmed", hypertension.VerificationStatus!.Coding[0].Code);
        Assert.Contains(hypertension.Meta!.Tag, t => t.Code == ProfileUrls.ReviewedTagCode);
        Assert.Contains(hypertension.Note, n => n.Text == $"Kept from version 1: the evidence is at the same words in DocumentReference/{note.Document.Id}/_history/2.");
        var provenance = Assert.Single(await _coding.SearchAsync<Provenance>($"Provenance?target=Condition/{hypertension.Id}"));
        Assert.Equal(TestAuth.ClientId, provenance.Agent[0].Who!.Identifier!.Value);
        var quoted = provenance.Entity.Select(e => (Reference: e.What.Reference!, Offset: Offset(e), Display: e.What.Display!)).ToList();
        Assert.Equal(carried.Where(d => d.Code == "I10").SelectMany(d => d.Spans).Select(s => ($"DocumentReference/{note.Document.Id}/_history/2", s.Start, s.Text)), quoted);
        Assert.All(quoted, q => Assert.Equal("hypertension", q.Display, ignoreCase: true));
        Assert.Empty(ProfileValidator.Errors(provenance));

        // The rejected code stays rejected and off the Claim; the coder is not asked again.
        var uti = await _coding.ReadAsync<Condition>($"/Condition/{WriteBack.ConditionId(note.Document.Id!, CodeSystems.Icd10Cm, "N39.0")}");
        Assert.Equal("entered-in-error", uti.VerificationStatus!.Coding[0].Code);
        var claim = Assert.Single(await _coding.SearchAsync<Claim>($"Claim?encounter=Encounter/{note.Encounter.Id}"));
        var billed = claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code).ToList();
        Assert.Contains("I10", billed);
        Assert.DoesNotContain("N39.0", billed);

        // The site lexicon counts the note in version 2 now, with the same phrases its review gave on version 1.
        var decisions = await AllDecisionsAsync(note.Document.Id!);
        Assert.Equal(await LexiconAsync(decisions.Where(d => d.NoteVersion == 1).ToList()), await LexiconAsync(decisions));
        var lexicon = await LexiconAsync(decisions);
        Assert.Contains(lexicon, e => (e.Term, e.Code, e.Weight) == ("hypertension", "I10", 1));
        Assert.Contains(lexicon, e => (e.Term, e.Code, e.Weight) == ("urinary tract infection", "N39.0", 0)); // the rejection still weighs against it

        var answer = States(await ReviewAsync(note.Document.Id!, Decision("I10", "accept")));
        Assert.Equal("accepted", answer["I10"]);
        Assert.Equal("rejected", answer["N39.0"]);
    }

    [BackendFact]
    public async Task GivenReviewedCodes_WhenTheNewVersionRewritesTheirEvidence_ThenTheyAreMarkedForReviewAndNotCarried()
    {
        var note = await CodedAsync(Note);
        Assert.Equal(HttpStatusCode.OK, (await ReviewAsync(note.Document.Id!, Decision("I10", "accept"), Decision("N39.0", "reject", "no culture yet"))).StatusCode);

        var rewritten = Note
            .Replace("with a history of hypertension and type 2", "with long-standing high blood pressure treated with lisinopril, and type 2", StringComparison.Ordinal)
            .Replace("2. Hypertension.", "2. Hypertension, controlled.", StringComparison.Ordinal)
            .Replace("1. Urinary tract infection.", "1. Urinary tract infection, presumed E. coli.", StringComparison.Ordinal);
        await NewVersionAsync(note, rewritten);

        var second = await DecisionsAsync(note.Document.Id!, 2);
        Assert.DoesNotContain(second, d => d.Action is ReviewAction.Accept or ReviewAction.Reject);
        var marks = second.Where(d => d.Action == ReviewAction.NeedsReview).ToDictionary(d => d.Code);
        Assert.Equal(1, marks["I10"].CarriedFrom);
        Assert.Contains("accepted it on version 1", marks["I10"].Reason, StringComparison.Ordinal);

        var hypertension = await _coding.ReadAsync<Condition>($"/Condition/{WriteBack.ConditionId(note.Document.Id!, CodeSystems.Icd10Cm, "I10")}");
        Assert.Equal("unconfirmed", hypertension.VerificationStatus!.Coding[0].Code);
        var tag = Assert.Single(hypertension.Meta!.Tag, t => t.System == ProfileUrls.MachineSuggestedTagSystem);
        Assert.Equal((ProfileUrls.NeedsReviewTagCode, "Review needed: evidence changed in version 2"), (tag.Code, tag.Display));
        Assert.Empty(ProfileValidator.Errors(hypertension));

        // The rejected code's words changed and the machine suggests it again: shown for review, not as a fresh suggestion.
        Assert.True(marks.ContainsKey("N39.0"), $"marked: {string.Join(", ", marks.Keys)}");
        var uti = await _coding.ReadAsync<Condition>($"/Condition/{WriteBack.ConditionId(note.Document.Id!, CodeSystems.Icd10Cm, "N39.0")}");
        Assert.Equal("unconfirmed", uti.VerificationStatus!.Coding[0].Code);
        Assert.Contains(uti.Meta!.Tag, t => t.Code == ProfileUrls.NeedsReviewTagCode);
        Assert.Contains(uti.Note, n => n.Text!.Contains("rejected it on version 1 (no culture yet)", StringComparison.Ordinal));

        // Marks are no one's decision: the site lexicon still counts the note in version 1, as its reviewer left it.
        var decisions = await AllDecisionsAsync(note.Document.Id!);
        Assert.Equal(await LexiconAsync(decisions.Where(d => d.NoteVersion == 1).ToList()), await LexiconAsync(decisions));

        // $review answers both as needs-review; a person's decision on version 2 settles one.
        var states = States(await ReviewAsync(note.Document.Id!, Decision("N39.0", "reject", "still no culture")));
        Assert.Equal("needs-review", states["I10"]);
        Assert.Equal("rejected", states["N39.0"]);
        var settled = await _coding.ReadAsync<Condition>($"/Condition/{uti.Id}");
        Assert.Equal("entered-in-error", settled.VerificationStatus!.Coding[0].Code);
        Assert.DoesNotContain(settled.Meta!.Tag, t => t.Code == ProfileUrls.NeedsReviewTagCode);
    }

    [BackendFact]
    public async Task GivenCodedConditions_WhenPutConfirmsOneSetsAnotherEnteredInErrorAndChangesAThirdsCode_ThenEachIsTheReviewDecision()
    {
        var note = await CodedAsync(Note);
        var conditions = await ConditionsAsync(note);
        var diabetes = conditions.Keys.First(c => c.StartsWith("E11", StringComparison.Ordinal));

        var confirm = (Condition)conditions["N39.0"].DeepCopy();
        confirm.VerificationStatus = WriteBack.Concept(ConditionStatuses.VerificationSystem, "confirmed", "Confirmed");
        var confirmed = await PutAsync(confirm);
        Assert.True(confirmed.StatusCode == HttpStatusCode.OK, await confirmed.Content.ReadAsStringAsync());
        Assert.Contains(Json.Deserialize<Condition>(await confirmed.Content.ReadAsStringAsync()).Meta!.Tag, t => t.Code == ProfileUrls.ReviewedTagCode);

        var wrong = (Condition)conditions[diabetes].DeepCopy();
        wrong.VerificationStatus = WriteBack.Concept(ConditionStatuses.VerificationSystem, "entered-in-error", "Entered in Error");
        wrong.ClinicalStatus = null;
        wrong.Note.Add(new Annotation { Text = "diet-controlled per the PCP letter: not an active problem this stay" });
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(wrong)).StatusCode);

        var recode = (Condition)conditions["I10"].DeepCopy();
        recode.Code = new CodeableConcept(CodeSystems.Icd10Cm, "I11.9");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(recode)).StatusCode);

        var decisions = await DecisionsAsync(note.Document.Id!, 1);
        Assert.All(decisions, d => Assert.Equal(TestAuth.ClientId, d.Reviewer));
        var standing = ReviewedCodes.Last(decisions);
        Assert.Equal(ReviewAction.Accept, standing[(CodeSystems.Icd10Cm, "N39.0")].Action);
        Assert.Equal((ReviewAction.Reject, "diet-controlled per the PCP letter: not an active problem this stay"),
            (standing[(CodeSystems.Icd10Cm, diabetes)].Action, standing[(CodeSystems.Icd10Cm, diabetes)].Reason));
        Assert.Equal(ReviewAction.Reject, standing[(CodeSystems.Icd10Cm, "I10")].Action);
        var added = standing[(CodeSystems.Icd10Cm, "I11.9")];
        Assert.Equal(ReviewAction.Add, added.Action);
        Assert.Equal(standing[(CodeSystems.Icd10Cm, "I10")].Spans.OrderBy(s => s.Start), added.Spans.OrderBy(s => s.Start));

        var states = States(await ReviewAsync(note.Document.Id!, Decision("N39.0", "accept")));
        Assert.Equal(("accepted", "rejected", "rejected", "added"), (states["N39.0"], states[diabetes], states["I10"], states["I11.9"]));
        var claim = Assert.Single(await _coding.SearchAsync<Claim>($"Claim?encounter=Encounter/{note.Encounter.Id}"));
        var billed = claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code).ToList();
        Assert.Contains("N39.0", billed);
        Assert.Contains("I11.9", billed);
        Assert.DoesNotContain("I10", billed);
        Assert.DoesNotContain(diabetes, billed);
        var heart = await _coding.ReadAsync<Condition>($"/Condition/{WriteBack.ConditionId(note.Document.Id!, CodeSystems.Icd10Cm, "I11.9")}");
        var provenance = Assert.Single(await _coding.SearchAsync<Provenance>($"Provenance?target=Condition/{heart.Id}"));
        Assert.Equal(TestAuth.ClientId, provenance.Agent[0].Who!.Identifier!.Value);
        Assert.All(provenance.Entity, e => Assert.Equal("hypertension", e.What.Display, ignoreCase: true));
    }

    [BackendFact]
    public async Task GivenACodedCondition_WhenAPutAlsoChangesAnotherElementOrNamesAnUnknownCode_Then422AndNothingIsWritten()
    {
        var note = await CodedAsync(Note);
        var conditions = await ConditionsAsync(note);
        var uti = conditions["N39.0"];

        var confirmAndMove = (Condition)uti.DeepCopy();
        confirmAndMove.VerificationStatus = WriteBack.Concept(ConditionStatuses.VerificationSystem, "confirmed", "Confirmed");
        confirmAndMove.Onset = new FhirDateTime("2026-01-03");
        var refused = await PutAsync(confirmAndMove);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("$review", Json.Deserialize<OperationOutcome>(await refused.Content.ReadAsStringAsync()).Issue[0].Diagnostics, StringComparison.Ordinal);

        var unknown = (Condition)conditions["I10"].DeepCopy();
        unknown.Code = new CodeableConcept(CodeSystems.Icd10Cm, "Q99.99");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PutAsync(unknown)).StatusCode);

        Assert.Empty(await DecisionsAsync(note.Document.Id!, 1));
        Assert.Equal(uti.Meta!.VersionId, (await _coding.ReadAsync<Condition>($"/Condition/{uti.Id}")).Meta!.VersionId);
        Assert.Equal(conditions["I10"].Meta!.VersionId, (await _coding.ReadAsync<Condition>($"/Condition/{conditions["I10"].Id}")).Meta!.VersionId);

        // A Condition no note's coding wrote is plain FHIR.
        var own = new Condition { Id = "own-" + note.Document.Id, Subject = uti.Subject, Code = new CodeableConcept(CodeSystems.Icd10Cm, "I10") };
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(own)).StatusCode);
        own.Onset = new FhirDateTime("2020");
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(own)).StatusCode);

        using var reader = fixture.Factory.CreateClient();
        reader.WithToken(await TestAuth.TokenAsync(fixture.Factory.CreateClient(), scope: "system/Condition.rs"));
        var confirm = (Condition)uti.DeepCopy();
        confirm.VerificationStatus = WriteBack.Concept(ConditionStatuses.VerificationSystem, "confirmed", "Confirmed");
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsync($"/Condition/{uti.Id}", CodingTestClient.Body(confirm))).StatusCode);
        Assert.Empty(await DecisionsAsync(note.Document.Id!, 1));
    }

    async Task<SyntheaNote> CodedAsync(string text, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var note = SyntheaNote.Load("inpatient");
        note.Document.Id = "versions-" + Math.Abs(test.GetHashCode());
        note.Encounter.Id = "enc-" + note.Document.Id;
        note.Document.Context!.Encounter[0].Reference = $"Encounter/{note.Encounter.Id}";
        note.Document.Content[0].Attachment.Data = Encoding.UTF8.GetBytes(text);
        await _coding.PutAsync(note.Patient, note.Encounter, note.Document);
        await _coding.WaitForTaskAsync(note.Document.Id, status => status is FhirTask.TaskStatus.Completed);
        return note;
    }

    async Task NewVersionAsync(SyntheaNote note, string text)
    {
        note.Document.Content[0].Attachment.Data = Encoding.UTF8.GetBytes(text);
        await _coding.PutAsync(note.Document);
        await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Completed, "2");
    }

    async Task<Dictionary<string, Condition>> ConditionsAsync(SyntheaNote note) =>
        (await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}")).ToDictionary(c => c.Code!.Coding[0].Code!);

    static string Describe(Dictionary<string, Condition> conditions) => "coded: " + string.Join(", ", conditions.Keys);

    Task<HttpResponseMessage> PutAsync(Condition condition) => _coding.Http.PutAsync($"/Condition/{condition.Id}", CodingTestClient.Body(condition));

    static int Offset(Provenance.EntityComponent entity) =>
        ((Integer)entity.Extension.Single(e => e.Url == ProfileUrls.DerivationReference).Extension.Single(e => e.Url == "offset").Value!).Value!.Value;

    Task<HttpResponseMessage> ReviewAsync(string documentId, params Parameters.ParameterComponent[] decisions)
    {
        var review = new Parameters();
        review.Parameter.AddRange(decisions);
        return _coding.Http.PostAsync($"/DocumentReference/{documentId}/$review", CodingTestClient.Body(review));
    }

    static Dictionary<string, string> States(HttpResponseMessage response)
    {
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return Json.Deserialize<Parameters>(body).Parameter.Where(p => p.Name == "code").ToDictionary(
            p => ((Coding)p.Part.First(x => x.Name == "code").Value!).Code!, p => ((Code)p.Part.First(x => x.Name == "review").Value!).Value!);
    }

    static Parameters.ParameterComponent Decision(string code, string action, string? reason = null)
    {
        var parts = new List<Parameters.ParameterComponent>
        {
            new() { Name = "code", Value = new Coding(CodeSystems.Icd10Cm, code) },
            new() { Name = "action", Value = new Code(action) },
        };
        if (reason is not null) parts.Add(new() { Name = "reason", Value = new FhirString(reason) });
        return new Parameters.ParameterComponent { Name = "decision", Part = parts };
    }

    async Task<IReadOnlyList<CodingDecision>> AllDecisionsAsync(string documentId)
    {
        IReadOnlyList<CodingDecision> decisions = [];
        await fixture.Factory.Services.GetRequiredService<IResourceStore>().WriteAsync([], async (tx, ct) => decisions = await CodingDecisions.AllAsync(tx, ct));
        return decisions.Where(d => d.DocumentId == documentId).ToList();
    }

    /// <summary>The site lexicon the server's builder makes of these decisions alone (the fixture does not learn, so each test asks).</summary>
    async Task<List<SiteLexiconEntry>> LexiconAsync(IReadOnlyList<CodingDecision> decisions)
    {
        var services = fixture.Factory.Services;
        var (coder, _) = await services.GetRequiredService<CoderCatalog>().ForAsync(DateOnly.FromDateTime(DateTime.UtcNow), default);
        var built = await SiteLexiconBuild.FromDecisionsAsync(services.GetRequiredService<IResourceStore>(), decisions, coder, Language.English, 0.45, default);
        return [.. built.SelectMany(b => b.Entries).OrderBy(e => e.Term, StringComparer.Ordinal).ThenBy(e => e.Code, StringComparer.Ordinal)];
    }

    async Task<IReadOnlyList<CodingDecision>> DecisionsAsync(string documentId, int version)
    {
        IReadOnlyList<CodingDecision> decisions = [];
        await fixture.Factory.Services.GetRequiredService<IResourceStore>().WriteAsync([], async (tx, ct) => decisions = await CodingDecisions.ForNoteAsync(tx, documentId, version, ct));
        return decisions;
    }
}

public sealed class SqliteReviewVersionTests(SqliteReviewServerFixture fixture) : ReviewVersionTests<SqliteReviewServerFixture>(fixture);

public sealed class PostgresReviewVersionTests(PostgresReviewServerFixture fixture) : ReviewVersionTests<PostgresReviewServerFixture>(fixture);
