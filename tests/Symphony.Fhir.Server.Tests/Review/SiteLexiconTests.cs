using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Review;
using Symphony.Fhir.Server.Tests.CodingJobs;
using Symphony.Fhir.Server.Tests.Infrastructure;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Review;

/// <summary>A server that rebuilds its site lexicon soon after a decision: the tests wait seconds, not the default poll.</summary>
public abstract class SiteLexiconServerFixture : CodingServerFixture
{
    protected override WebApplicationFactory<Program> StartServer(TestBackend backend) =>
        Start(new Dictionary<string, string?>(Settings(backend)) { ["SiteLexicon:PollInterval"] = "00:00:00.500", ["SiteLexicon:Debounce"] = "00:00:00" });
}

public sealed class SqliteSiteLexiconServerFixture : SiteLexiconServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresSiteLexiconServerFixture : SiteLexiconServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}

/// <summary>The site lexicon: exported and posted through /$site-lexicon, rebuilt from review decisions, and coded with.</summary>
public abstract class SiteLexiconTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : CodingServerFixture
{
    static readonly FhirJsonDeserializer Json = new();
    readonly CodingTestClient _coding = new(fixture);
    const string Tsv = "term\tsystem\tcode\tlanguage\tweight\ncólico nefrítico\ticd10cm\tN23\tes\t0.9\nhernia inguinal derecha\ticd10cm\tK40.90\tes\t1\nhta\ticd10cm\tI10\tes\t0\n";

    [BackendFact]
    public async Task GivenAnAdmin_WhenALexiconIsPosted_ThenItIsStoredAsTheNextVersionAndExportedAsTsvAndJson()
    {
        var first = await PostAsync(Tsv);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var firstVersion = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt32();
        var json = """{"entries": [{"term": "cólico renal", "system": "icd10cm", "code": "n23", "weight": 0.8}]}""";
        var second = await _coding.Http.PostAsync("/$site-lexicon?language=es", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(firstVersion + 1, JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt32());

        var exported = await _coding.Http.GetAsync($"/$site-lexicon?language=es&version={firstVersion}&_format=tsv");
        Assert.Equal(HttpStatusCode.OK, exported.StatusCode);
        Assert.StartsWith(SiteLexiconApi.TsvMediaType, exported.Content.Headers.ContentType!.ToString());
        var roundTrip = SiteLexicon.Read(new StringReader(await exported.Content.ReadAsStringAsync()));
        Assert.Equal(SiteLexicon.Read(new StringReader(Tsv)).OrderBy(e => e.Term), roundTrip.OrderBy(e => e.Term));

        var newest = JsonDocument.Parse(await _coding.Http.GetStringAsync("/$site-lexicon?language=es")).RootElement;
        Assert.Equal(firstVersion + 1, newest.GetProperty("version").GetInt32());
        Assert.Equal("posted", newest.GetProperty("origin").GetString());
        var entry = Assert.Single(newest.GetProperty("entries").EnumerateArray());
        Assert.Equal("N23", entry.GetProperty("code").GetString());
        Assert.Equal(0.8, entry.GetProperty("weight").GetDouble());
        Assert.Contains(newest.GetProperty("versions").EnumerateArray(), v => v.GetProperty("version").GetInt32() == firstVersion);
        // The process that stored it codes with it at once (others within their poll).
        Assert.Equal(firstVersion + 1, fixture.Factory.Services.GetRequiredService<SiteLexicons>().Current.Versions[Language.Spanish]);
    }

    [BackendFact]
    public async Task GivenBadLexicons_WhenPostedOrAskedFor_ThenEachIsRefusedWithAnOperationOutcomeAndNothingIsStored()
    {
        var before = await _coding.Http.GetAsync("/$site-lexicon?language=es");
        var refusals = new (HttpResponseMessage Response, HttpStatusCode Expected)[]
        {
            (await PostAsync("cólico nefrítico\ticd10cm\n"), HttpStatusCode.BadRequest),
            (await PostAsync("cólico nefrítico\tsnomed\tN23\tes\n"), HttpStatusCode.BadRequest),
            (await PostAsync("renal colic\ticd10cm\tN23\ten\n"), HttpStatusCode.BadRequest), // not the language asked
            (await PostAsync("cólico nefrítico\ticd10cm\tN23\tes\t2\n"), HttpStatusCode.BadRequest),
            (await PostAsync(""), HttpStatusCode.BadRequest),
            (await _coding.Http.PostAsync("/$site-lexicon?language=es", new StringContent("{\"entries\": [{\"term\": 3}]}", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest),
            (await _coding.Http.GetAsync("/$site-lexicon?language=xx"), HttpStatusCode.BadRequest),
            (await _coding.Http.GetAsync("/$site-lexicon?language=es&_format=xml"), HttpStatusCode.NotAcceptable),
            (await _coding.Http.GetAsync("/$site-lexicon?language=es&version=999"), HttpStatusCode.NotFound),
        };
        foreach (var (response, expected) in refusals)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"{response.RequestMessage!.RequestUri}: {(int)response.StatusCode} {body}");
            // _format=xml is answered in XML, as the server answers every error in the format asked for.
            Assert.IsType<OperationOutcome>(body.StartsWith('<') ? new FhirXmlDeserializer().DeserializeResource(body) : Json.DeserializeResource(body));
        }

        // Replacing the lexicon is an admin's act: a token that may only read is refused.
        using var reader = fixture.Factory.CreateClient();
        reader.WithToken(await TestAuth.TokenAsync(fixture.Factory.CreateClient(), scope: "system/CodeSystem.rs"));
        Assert.Equal(before.StatusCode, (await reader.GetAsync("/$site-lexicon?language=es")).StatusCode);
        var forbidden = await reader.PostAsync("/$site-lexicon?language=es", new StringContent(Tsv, Encoding.UTF8, SiteLexiconApi.TsvMediaType));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        var after = await _coding.Http.GetAsync("/$site-lexicon?language=es");
        Assert.Equal(before.StatusCode, after.StatusCode);
        if (before.IsSuccessStatusCode)
            Assert.Equal(Version(await before.Content.ReadAsStringAsync()), Version(await after.Content.ReadAsStringAsync()));
    }

    [BackendFact]
    public async Task GivenALexiconNamingCodesTheReleaseDoesNotHave_WhenPosted_ThenItIsRefusedNamingEachAndNothingIsStored()
    {
        var before = await _coding.Http.GetAsync("/$site-lexicon?language=es");
        // 3E0T3CZ and 5A1D00Z: CodiEsp gold codes the 2026 ICD-10-PCS release no longer has; S19.9X: a code cut short.
        var refused = await PostAsync(Tsv + "perfusión\ticd10pcs\t3E0T3CZ\tes\t0.9\nhemodiálisis\ticd10pcs\t5A1D00Z\tes\t0.8\n"
            + "lesión cervical\ticd10cm\tS19.9X\tes\t0.7\napendicectomía\ticd10pcs\t0DTJ\tes\t0.9\n");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var outcome = Assert.IsType<OperationOutcome>(Json.DeserializeResource(await refused.Content.ReadAsStringAsync()));
        Assert.Equal(["3E0T3CZ", "5A1D00Z", "S19.9X"], outcome.Issue.Select(i => i.Diagnostics!.Split(' ')[1]).Order(StringComparer.Ordinal));
        Assert.All(outcome.Issue, i => Assert.Equal(OperationOutcome.IssueType.CodeInvalid, i.Code));
        var after = await _coding.Http.GetAsync("/$site-lexicon?language=es");
        Assert.Equal(before.StatusCode, after.StatusCode);
        if (before.IsSuccessStatusCode)
            Assert.Equal(Version(await before.Content.ReadAsStringAsync()), Version(await after.Content.ReadAsStringAsync()));
        // A partial ICD-10-PCS code (a table prefix) is a code sites record: taken.
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(Tsv + "apendicectomía\ticd10pcs\t0DTJ\tes\t0.9\n")).StatusCode);
    }

    [BackendFact]
    public async Task GivenAReviewerAddsACodeWithItsWords_WhenTheLexiconIsRebuilt_ThenTheNextNoteWithThoseWordsIsCodedWithItAndNamesTheVersion()
    {
        const string Phrase = "frobnitz knee syndrome";
        var first = await CodedNoteAsync("lexicon-first", $"Assessment: the patient has {Phrase}, worse on stairs.\nPlan: rest and review.");
        var at = first.Text.IndexOf(Phrase, StringComparison.Ordinal);
        var review = new Parameters();
        review.Parameter.Add(new()
        {
            Name = "decision",
            Part =
            [
                new() { Name = "code", Value = new Coding(CodeSystems.Icd10Cm, "M25.562") },
                new() { Name = "action", Value = new Code("add") },
                new() { Name = "span", Part = [new() { Name = "offset", Value = new Integer(at) }, new() { Name = "length", Value = new Integer(Phrase.Length) }] },
            ],
        });
        var reviewed = await _coding.Http.PostAsync($"/DocumentReference/{first.Id}/$review", CodingTestClient.Body(review));
        Assert.True(reviewed.IsSuccessStatusCode, await reviewed.Content.ReadAsStringAsync());

        var version = 0;
        await CodingTestClient.WaitAsync(async () =>
        {
            var response = await _coding.Http.GetAsync("/$site-lexicon?language=en&_format=tsv");
            if (!response.IsSuccessStatusCode) return false;
            var entries = SiteLexicon.Read(new StringReader(await response.Content.ReadAsStringAsync()));
            if (!entries.Any(e => e.Term == Phrase && e.Code == "M25.562" && e.Weight > 0)) return false;
            version = Version(await _coding.Http.GetStringAsync("/$site-lexicon?language=en"));
            return true;
        });
        var built = JsonDocument.Parse(await _coding.Http.GetStringAsync("/$site-lexicon?language=en")).RootElement;
        Assert.Equal("decisions", built.GetProperty("origin").GetString());
        Assert.False(built.GetProperty("pending").GetBoolean());

        var second = await CodedNoteAsync("lexicon-second", $"History: known {Phrase} since last year.");
        var condition = Assert.Single(await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/enc-{second.Id}"), c => c.Code!.Coding[0].Code == "M25.562");
        var reference = CurrentSiteLexicon.Reference(Language.English, version);
        var task = Assert.Single(await _coding.SearchAsync<FhirTask>($"Task?focus=DocumentReference/{second.Id}"));
        Assert.Contains(task.Output, o => o.Type.Text == CodingPipeline.SiteLexiconOutput && o.Value is FhirUri { Value: var uri } && uri == reference);
        var provenance = Assert.Single(await _coding.SearchAsync<Provenance>($"Provenance?target=Condition/{condition.Id}"));
        Assert.Contains(reference, provenance.Policy);
    }

    async Task<(string Id, string Text)> CodedNoteAsync(string id, string text)
    {
        var note = SyntheaNote.Load("inpatient");
        note.Document.Id = $"{id}-{typeof(TFixture).Name.GetHashCode():x}";
        note.Encounter.Id = "enc-" + note.Document.Id;
        note.Document.Language = "en";
        note.Document.Context!.Encounter[0].Reference = $"Encounter/{note.Encounter.Id}";
        note.Document.Content[0].Attachment = new Attachment { ContentType = "text/plain; charset=utf-8", Data = Encoding.UTF8.GetBytes(text) };
        await _coding.PutAsync(note.Patient, note.Encounter, note.Document);
        await _coding.WaitForTaskAsync(note.Document.Id, status => status is FhirTask.TaskStatus.Completed);
        return (note.Document.Id, text);
    }

    Task<HttpResponseMessage> PostAsync(string tsv) =>
        _coding.Http.PostAsync("/$site-lexicon?language=es", new StringContent(tsv, Encoding.UTF8, SiteLexiconApi.TsvMediaType));

    static int Version(string json) => JsonDocument.Parse(json).RootElement.GetProperty("version").GetInt32();
}

public sealed class SqliteSiteLexiconTests(SqliteSiteLexiconServerFixture fixture) : SiteLexiconTests<SqliteSiteLexiconServerFixture>(fixture);

public sealed class PostgresSiteLexiconTests(PostgresSiteLexiconServerFixture fixture) : SiteLexiconTests<PostgresSiteLexiconServerFixture>(fixture);
