using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Coders.Lexicon;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Review;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Tests.CodingJobs;
using Symphony.Fhir.Server.Tests.Infrastructure;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Review;

/// <summary>$review on a note the real server coded: each action, the Claim rebuilt, bad decisions refused whole, a re-code that keeps them.</summary>
public abstract class ReviewTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : CodingServerFixture
{
    static readonly FhirJsonDeserializer Json = new();
    readonly CodingTestClient _coding = new(fixture);
    const string Chemoradiation = "combined chemotherapy and radiation therapy";

    [BackendFact]
    public async Task GivenACodedNote_WhenAReviewerAcceptsRejectsAndAdds_ThenResourcesDecisionsAndTheClaimFollowTheReview()
    {
        var (note, conditions) = await CodedAsync();
        var accepted = conditions.Single(c => c.Code!.Coding[0].Code == "N39.0");
        var rejected = conditions.First(c => c.Code!.Coding[0].Code != "N39.0");
        var rejectedCode = rejected.Code!.Coding[0].Code!;
        var at = note.NoteText.IndexOf(Chemoradiation, StringComparison.Ordinal);

        var response = await ReviewAsync(note.Document.Id!,
            Decision(CodeSystems.Icd10Cm, "N39.0", "accept"),
            Decision(CodeSystems.Icd10Cm, rejectedCode, "reject", "not documented as a current condition"),
            Decision(CodeSystems.Icd10Cm, "I10", "add", null, (0, 10)),
            Decision(CodeSystems.Icd10Pcs, "0DTJ4ZZ", "add", null, (at, Chemoradiation.Length)),
            Decision(CodeSystems.Icd10Pcs, "0DT", "add", null, (at, Chemoradiation.Length)));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var answer = Json.Deserialize<Parameters>(await response.Content.ReadAsStringAsync());
        var states = answer.Parameter.Where(p => p.Name == "code").ToDictionary(
            p => ((Coding)p.Part.First(x => x.Name == "code").Value!).Code!, p => ((Code)p.Part.First(x => x.Name == "review").Value!).Value!);
        Assert.Equal("accepted", states["N39.0"]);
        Assert.Equal("rejected", states[rejectedCode]);
        Assert.Equal(["added", "added", "added"], new[] { states["I10"], states["0DTJ4ZZ"], states["0DT"] });

        var uti = await _coding.ReadAsync<Condition>($"/Condition/{accepted.Id}");
        Assert.Equal("confirmed", uti.VerificationStatus!.Coding[0].Code);
        Assert.Contains(uti.Meta!.Tag, t => t.Code == ProfileUrls.ReviewedTagCode);
        Assert.DoesNotContain(uti.Meta.Tag, t => t.Code == ProfileUrls.MachineSuggestedTagCode);
        var wrong = await _coding.ReadAsync<Condition>($"/Condition/{rejected.Id}");
        Assert.Equal("entered-in-error", wrong.VerificationStatus!.Coding[0].Code);
        Assert.Contains(wrong.Note, n => n.Text!.Contains("not documented as a current condition", StringComparison.Ordinal));
        var hypertension = await _coding.ReadAsync<Condition>($"/Condition/{WriteBack.ConditionId(note.Document.Id!, CodeSystems.Icd10Cm, "I10")}");
        Assert.Equal("confirmed", hypertension.VerificationStatus!.Coding[0].Code);
        var added = Assert.Single(await _coding.SearchAsync<Provenance>($"Provenance?target=Condition/{hypertension.Id}"));
        Assert.Equal(TestAuth.ClientId, added.Agent[0].Who!.Identifier!.Value);
        var quote = Assert.Single(added.Entity);
        Assert.Equal(note.NoteText[..10], quote.What.Display);
        Assert.Equal($"DocumentReference/{note.Document.Id}/_history/1", quote.What.Reference);
        var errors = new Resource[] { uti, wrong, hypertension, added }.SelectMany(ProfileValidator.Errors).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        var procedures = await _coding.SearchAsync<Procedure>($"Procedure?encounter=Encounter/{note.Encounter.Id}");
        Assert.Contains(procedures, p => p.Code!.Coding[0].Code == "0DTJ4ZZ" && p.Status == EventStatus.Completed);
        Assert.Contains(procedures.Single(p => p.Code!.Coding[0].Code == "0DT").Meta!.Tag, t => t.Code == ProfileUrls.IncompleteTagCode);

        var claim = Assert.Single(await _coding.SearchAsync<Claim>($"Claim?encounter=Encounter/{note.Encounter.Id}"));
        var diagnoses = claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code).ToList();
        Assert.Contains("N39.0", diagnoses);
        Assert.Contains("I10", diagnoses);
        Assert.DoesNotContain(rejectedCode, diagnoses);
        var billed = claim.Procedure.Select(p => ((CodeableConcept)p.Procedure).Coding[0].Code).ToList();
        Assert.Contains("0DTJ4ZZ", billed);
        Assert.DoesNotContain("0DT", billed); // a partial code is recorded, never billed

        // An accept or reject without spans is one decision per mention the machine quoted, each with that mention's span.
        var decisions = await DecisionsAsync(note.Document.Id!);
        var machineSpans = (await _coding.SearchAsync<Provenance>($"Provenance?target=Condition/{rejected.Id}")).Single().Entity.Count;
        Assert.Equal(
            [.. Enumerable.Repeat(("N39.0", "accept"), decisions.Count(d => d.Code == "N39.0")), .. Enumerable.Repeat((rejectedCode, "reject"), machineSpans),
                ("I10", "add"), ("0DTJ4ZZ", "add"), ("0DT", "add")],
            decisions.Select(d => (d.Code, d.Action)).OrderBy(d => d.Action == "add").ToList());
        Assert.All(decisions.Where(d => d.Action != "add"), d => Assert.Single(d.Spans));
        Assert.All(decisions, d => Assert.Equal(TestAuth.ClientId, d.Reviewer));
        Assert.Equal(Chemoradiation, Assert.Single(decisions.Single(d => d.Code == "0DTJ4ZZ").Spans).Text);
        Assert.All(decisions.Where(d => d.Action == "reject"), d => Assert.Equal("not documented as a current condition", d.Reason));
        // The rejected Condition keeps every mention the machine quoted: the spans of the review's decisions on it together.
        Assert.Equal(machineSpans, ReviewedCodes.Last(decisions)[(CodeSystems.Icd10Cm, rejectedCode)].Spans.Count);
    }

    [BackendFact]
    public async Task GivenOneBadDecisionAmongGoodOnes_WhenReviewed_Then422NamingEachAndNothingIsWritten()
    {
        var (note, conditions) = await CodedAsync();
        var uti = conditions.Single(c => c.Code!.Coding[0].Code == "N39.0");

        var response = await ReviewAsync(note.Document.Id!,
            Decision(CodeSystems.Icd10Cm, "N39.0", "accept"),
            Decision(CodeSystems.Icd10Cm, "Q99.99", "add", null, (0, 5)),
            Decision(CodeSystems.Icd10Cm, "I10", "add", null, (note.NoteText.Length - 2, 5)),
            Decision(CodeSystems.Icd10Cm, "E11.9", "accept"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = Json.Deserialize<OperationOutcome>(await response.Content.ReadAsStringAsync());
        Assert.Equal(3, outcome.Issue.Count);
        Assert.Contains("Q99.99", outcome.Issue[0].Diagnostics);
        Assert.Contains("outside the note", outcome.Issue[1].Diagnostics);
        Assert.Contains("never suggested", outcome.Issue[2].Diagnostics);
        Assert.Empty(await DecisionsAsync(note.Document.Id!));
        Assert.Equal(uti.Meta!.VersionId, (await _coding.ReadAsync<Condition>($"/Condition/{uti.Id}")).Meta!.VersionId);

        var malformed = await ReviewAsync(note.Document.Id!, Decision(CodeSystems.Icd10Cm, "I10", "add"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [BackendFact]
    public async Task GivenAReviewedNote_WhenTheSameVersionIsCodedAgain_ThenReviewedResourcesStayAsLeftAndTheRejectedCodeIsNotSuggested()
    {
        var (note, conditions) = await CodedAsync();
        var accepted = conditions.Single(c => c.Code!.Coding[0].Code == "N39.0");
        var rejected = conditions.First(c => c.Code!.Coding[0].Code != "N39.0");
        var rejectedCode = rejected.Code!.Coding[0].Code!;
        Assert.Equal(HttpStatusCode.OK, (await ReviewAsync(note.Document.Id!,
            Decision(CodeSystems.Icd10Cm, "N39.0", "accept"), Decision(CodeSystems.Icd10Cm, rejectedCode, "reject", "copied forward"))).StatusCode);
        var acceptedVersion = (await _coding.ReadAsync<Condition>($"/Condition/{accepted.Id}")).Meta!.VersionId;
        var rejectedVersion = (await _coding.ReadAsync<Condition>($"/Condition/{rejected.Id}")).Meta!.VersionId;

        // An explicit mode re-opens a coded note: the same version is coded again.
        var recode = new Parameters();
        recode.Parameter.Add(new() { Name = "mode", Value = new Code("embedded") });
        var response = await _coding.Http.PostAsync($"/DocumentReference/{note.Document.Id}/$code", CodingTestClient.Body(recode));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = CodingParameters.Read(Json.Deserialize<Parameters>(await response.Content.ReadAsStringAsync()));

        Assert.DoesNotContain(answer, c => c.Code == rejectedCode);
        Assert.Contains(answer, c => c.Code == "N39.0");
        var uti = await _coding.ReadAsync<Condition>($"/Condition/{accepted.Id}");
        Assert.Equal(acceptedVersion, uti.Meta!.VersionId);
        Assert.Contains(uti.Meta.Tag, t => t.Code == ProfileUrls.ReviewedTagCode);
        var wrong = await _coding.ReadAsync<Condition>($"/Condition/{rejected.Id}");
        Assert.Equal(rejectedVersion, wrong.Meta!.VersionId);
        Assert.Equal("entered-in-error", wrong.VerificationStatus!.Coding[0].Code);
        var claim = Assert.Single(await _coding.SearchAsync<Claim>($"Claim?encounter=Encounter/{note.Encounter.Id}"));
        Assert.DoesNotContain(rejectedCode, claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code));
        Assert.Contains("N39.0", claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code));
    }

    [BackendFact]
    public async Task GivenATokenThatMayOnlyReadConditions_WhenItReviews_Then403NamingTheScopeAndNothingIsWritten()
    {
        var (note, _) = await CodedAsync();
        using var reader = fixture.Factory.CreateClient();
        reader.WithToken(await TestAuth.TokenAsync(fixture.Factory.CreateClient(), scope: "system/DocumentReference.rs system/Condition.rs"));

        var response = await reader.PostAsync($"/DocumentReference/{note.Document.Id}/$review", CodingTestClient.Body(Review(Decision(CodeSystems.Icd10Cm, "N39.0", "accept"))));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Condition.u", await response.Content.ReadAsStringAsync());
        Assert.Empty(await DecisionsAsync(note.Document.Id!));
    }

    [BackendFact]
    public async Task GivenTwoCodedNotesOfAnEncounter_WhenTheEncounterIsReviewed_ThenARejectReachesEveryNoteThatSuggestedItAndAnAddItsNamedNote()
    {
        var (first, conditions) = await CodedAsync();
        var second = SyntheaNote.Load("outpatient").Document;
        second.Id = first.Document.Id + "-2";
        second.Subject = first.Document.Subject;
        second.Context!.Encounter[0].Reference = $"Encounter/{first.Encounter.Id}";
        await _coding.PutAsync(second);
        await _coding.WaitForTaskAsync(second.Id, status => status is FhirTask.TaskStatus.Completed);
        var noteOf = (await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/{first.Encounter.Id}"))
            .GroupBy(c => c.Code!.Coding[0].Code!).ToDictionary(g => g.Key, g => g.Select(c => c.Evidence[0].Detail[0].Reference).ToList());
        Assert.Contains($"DocumentReference/{first.Document.Id}", noteOf["N39.0"]);

        var addToFirst = Decision(CodeSystems.Icd10Cm, "I10", "add", null, (0, 10));
        addToFirst.Part.Add(new() { Name = "note", Value = new ResourceReference($"DocumentReference/{first.Document.Id}") });
        var response = await _coding.Http.PostAsync($"/Encounter/{first.Encounter.Id}/$review", CodingTestClient.Body(Review(
            Decision(CodeSystems.Icd10Cm, "N39.0", "reject", "culture negative"), addToFirst)));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var answer = Json.Deserialize<Parameters>(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, answer.Parameter.Count(p => p.Name == "note"));
        var claim = Assert.Single(await _coding.SearchAsync<Claim>($"Claim?encounter=Encounter/{first.Encounter.Id}"));
        var diagnoses = claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code).ToList();
        Assert.DoesNotContain("N39.0", diagnoses);
        Assert.Contains("I10", diagnoses);
        Assert.Equal(["reject", "add"], (await DecisionsAsync(first.Document.Id!)).Select(d => d.Action));
        Assert.Equal(noteOf["N39.0"].Contains($"DocumentReference/{second.Id}") ? ["reject"] : [], (await DecisionsAsync(second.Id)).Select(d => d.Action));
        foreach (var reference in noteOf["N39.0"])
            Assert.Equal("entered-in-error", (await _coding.ReadAsync<Condition>($"/Condition/{WriteBack.ConditionId(reference!.Split('/')[1], CodeSystems.Icd10Cm, "N39.0")}")).VerificationStatus!.Coding[0].Code);

        var unplaced = await _coding.Http.PostAsync($"/Encounter/{first.Encounter.Id}/$review", CodingTestClient.Body(Review(Decision(CodeSystems.Icd10Cm, "E11.9", "add", null, (0, 4)))));
        Assert.Equal(HttpStatusCode.BadRequest, unplaced.StatusCode);
    }

    async Task<(SyntheaNote Note, List<Condition> Conditions)> CodedAsync([System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var note = SyntheaNote.Load("inpatient");
        note.Document.Id = "review-" + Math.Abs(test.GetHashCode());
        note.Encounter.Id = "enc-" + note.Document.Id;
        note.Document.Context!.Encounter[0].Reference = $"Encounter/{note.Encounter.Id}";
        await _coding.PutAsync(note.Patient, note.Encounter, note.Document);
        await _coding.WaitForTaskAsync(note.Document.Id, status => status is FhirTask.TaskStatus.Completed);
        return (note, await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}"));
    }

    Task<HttpResponseMessage> ReviewAsync(string documentId, params Parameters.ParameterComponent[] decisions) =>
        _coding.Http.PostAsync($"/DocumentReference/{documentId}/$review", CodingTestClient.Body(Review(decisions)));

    static Parameters Review(params Parameters.ParameterComponent[] decisions)
    {
        var review = new Parameters();
        review.Parameter.AddRange(decisions);
        return review;
    }

    static Parameters.ParameterComponent Decision(string system, string code, string action, string? reason = null, params (int Offset, int Length)[] spans)
    {
        var parts = new List<Parameters.ParameterComponent>
        {
            new() { Name = "code", Value = new Coding(system, code) },
            new() { Name = "action", Value = new Code(action) },
        };
        if (reason is not null) parts.Add(new() { Name = "reason", Value = new FhirString(reason) });
        parts.AddRange(spans.Select(s => new Parameters.ParameterComponent
        {
            Name = "span",
            Part = [new() { Name = "offset", Value = new Integer(s.Offset) }, new() { Name = "length", Value = new Integer(s.Length) }],
        }));
        return new Parameters.ParameterComponent { Name = "decision", Part = parts };
    }

    async Task<IReadOnlyList<CodingDecision>> DecisionsAsync(string documentId)
    {
        IReadOnlyList<CodingDecision> decisions = [];
        await fixture.Factory.Services.GetRequiredService<IResourceStore>().WriteAsync([], async (tx, ct) => decisions = await CodingDecisions.ForNoteAsync(tx, documentId, 1, ct));
        return decisions;
    }
}

/// <summary>
/// A coding server that stores decisions but does not learn from them: each test's note is coded as the first one was, not
/// with a site lexicon built from the decisions of the tests before it (SiteLexiconTests cover the learning).
/// </summary>
public abstract class ReviewServerFixture : CodingServerFixture
{
    protected override WebApplicationFactory<Program> StartServer(TestBackend backend) =>
        Start(new Dictionary<string, string?>(Settings(backend)) { ["SiteLexicon:Learn"] = "false" });
}

public sealed class SqliteReviewServerFixture : ReviewServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresReviewServerFixture : ReviewServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}

public sealed class SqliteReviewTests(SqliteReviewServerFixture fixture) : ReviewTests<SqliteReviewServerFixture>(fixture);

public sealed class PostgresReviewTests(PostgresReviewServerFixture fixture) : ReviewTests<PostgresReviewServerFixture>(fixture);

/// <summary>Behind a gateway that authenticates (Auth:Mode=none) a review works and records that nobody known decided.</summary>
public sealed class ReviewWithoutAuthTests
{
    static readonly FhirJsonDeserializer Json = new();

    [Fact]
    public async Task GivenAuthModeNone_WhenANoteIsReviewedAndAConditionPut_ThenTheDecisionsAreWrittenWithAnUnauthenticatedReviewer()
    {
        await using var backend = new SqliteTestBackend();
        await using var server = CodingServerFixture.Start(new Dictionary<string, string?>(CodingServerFixture.Settings(backend)) { ["Auth:Mode"] = "none" });
        using var http = server.Server.CreateClient();
        var note = SyntheaNote.Load("inpatient");
        note.Document.Id = "review-no-auth";
        note.Encounter.Id = "enc-review-no-auth";
        note.Document.Context!.Encounter[0].Reference = $"Encounter/{note.Encounter.Id}";
        foreach (var resource in new Resource[] { note.Patient, note.Encounter, note.Document })
            Assert.True((await http.PutAsync($"/{resource.TypeName}/{resource.Id}", CodingTestClient.Body(resource))).IsSuccessStatusCode);
        await CodingTestClient.WaitAsync(async () =>
            Json.Deserialize<Bundle>(await http.GetStringAsync($"/Task?focus=DocumentReference/{note.Document.Id}")).Entry
                .Any(e => e.Resource is FhirTask { Status: FhirTask.TaskStatus.Completed }));

        var review = new Parameters();
        review.Parameter.Add(new()
        {
            Name = "decision",
            Part =
            [
                new() { Name = "code", Value = new Coding(CodeSystems.Icd10Cm, "I10") },
                new() { Name = "action", Value = new Code("add") },
                new() { Name = "span", Part = [new() { Name = "offset", Value = new Integer(0) }, new() { Name = "length", Value = new Integer(8) }] },
            ],
        });
        var response = await http.PostAsync($"/DocumentReference/{note.Document.Id}/$review", CodingTestClient.Body(review));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var conditionId = WriteBack.ConditionId(note.Document.Id, CodeSystems.Icd10Cm, "I10");
        var provenance = Json.Deserialize<Bundle>(await http.GetStringAsync($"/Provenance?target=Condition/{conditionId}")).Entry.Select(e => (Provenance)e.Resource!).Single();
        Assert.Contains("Auth:Mode=none", provenance.Agent[0].Who!.Display);
        IReadOnlyList<CodingDecision> decisions = [];
        await server.Services.GetRequiredService<IResourceStore>().WriteAsync([], async (tx, ct) => decisions = await CodingDecisions.ForNoteAsync(tx, note.Document.Id, 1, ct));
        Assert.Equal(Reviewer.Unauthenticated, Assert.Single(decisions).Reviewer);

        // A plain FHIR edit of a Condition the coding wrote is the same decision, with the same reviewer.
        var suggested = Json.Deserialize<Bundle>(await http.GetStringAsync($"/Condition?encounter=Encounter/{note.Encounter.Id}")).Entry
            .Select(e => (Condition)e.Resource!).First(c => c.Meta!.Tag.Any(t => t.Code == ProfileUrls.MachineSuggestedTagCode));
        suggested.VerificationStatus = WriteBack.Concept(ConditionStatuses.VerificationSystem, "refuted", "Refuted");
        suggested.ClinicalStatus = null;
        var put = await http.PutAsync($"/Condition/{suggested.Id}", CodingTestClient.Body(suggested));
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        await server.Services.GetRequiredService<IResourceStore>().WriteAsync([], async (tx, ct) => decisions = await CodingDecisions.ForNoteAsync(tx, note.Document.Id, 1, ct));
        Assert.Contains(decisions, d => d.Code == suggested.Code!.Coding[0].Code && d.Action == ReviewAction.Reject && d.Reviewer == Reviewer.Unauthenticated);
    }
}
