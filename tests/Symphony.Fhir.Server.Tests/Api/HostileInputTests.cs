// FHIR model properties are nullable; here a null where a value is expected fails the test with a NullReferenceException, which is the right outcome.
#nullable disable warnings

using System.Diagnostics;
using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Api;

/// <summary>
/// Bad input from a hostile or broken client, against the real server on Kestrel: each request gets its 4xx with an
/// OperationOutcome that says what to change, within seconds; nothing is stored; the server answers normally afterwards.
/// Times are asserted loosely (a hang fails, a slow machine does not).
/// </summary>
public abstract class HostileInputTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : KestrelServerFixture
{
    private const string FhirJson = "application/fhir+json";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly FhirJsonDeserializer Json = new();
    private readonly HttpClient _client = fixture.CreateClient();

    [BackendFact]
    public async Task GivenHostileSearches_ThenEachGets400WithAnOperationOutcomeThatSaysWhatIsWrong()
    {
        var thousandAndOneIds = string.Join(",", Enumerable.Range(0, 1001));
        var tenThousandIds = new FormUrlEncodedContent([new("_id", string.Join(",", Enumerable.Range(0, 10_000)))]);
        var twoThousandFields = new FormUrlEncodedContent(Enumerable.Range(0, 2000).Select(i => new KeyValuePair<string, string>("_id", $"{i}")));
        var cases = new (string Name, Func<Task<HttpResponseMessage>> Send, string Says)[]
        {
            ("1,001 ids", () => _client.GetAsync($"/Patient?_id={thousandAndOneIds}"), "Fhir:MaxSearchValues"),
            ("1,001 ids over parameters", () => _client.GetAsync("/Patient?" + string.Join("&", Enumerable.Range(0, 1001).Select(i => $"_id={i}"))), "Fhir:MaxSearchValues"),
            ("10,000 ids in a POST _search", () => _client.PostAsync("/Patient/_search", tenThousandIds), "Fhir:MaxSearchValues"),
            ("2,000 form fields", () => _client.PostAsync("/Patient/_search", twoThousandFields), "form"),
            ("_include=*", () => _client.GetAsync("/Condition?_include=*"), "_include"),
            ("_include:iterate", () => _client.GetAsync("/Condition?_include:iterate=Condition:encounter"), "_include:iterate"),
            ("_revinclude", () => _client.GetAsync("/Encounter?_revinclude=Condition:encounter"), "_revinclude"),
            ("_count=-1", () => _client.GetAsync("/Patient?_count=-1"), "_count"),
            ("_count=abc", () => _client.GetAsync("/Patient?_count=abc"), "_count"),
            ("_offset=-5", () => _client.GetAsync("/Patient?_offset=-5"), "_offset"),
            ("history _count=-1", () => _client.GetAsync("/Patient/_history?_count=-1"), "_count"),
            ("a date a million years away", () => _client.GetAsync("/Encounter?date=ge1000000-01-01"), "date"),
        };
        foreach (var (name, send, says) in cases)
            await AssertRefusedAsync(send, HttpStatusCode.BadRequest, says, name);
    }

    [BackendFact]
    public async Task GivenAHugeCount_ThenThePageHoldsAThousandAndLinksToTheNext()
    {
        var system = $"urn:hostile:{Guid.NewGuid():N}";
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        for (var i = 0; i < 1001; i++)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = new Patient { Identifier = [new Identifier(system, $"{i}")] },
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
            });
        }
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("/", new FhirJsonSerializer().SerializeToString(bundle))).StatusCode);

        var response = await _client.GetAsync($"/Patient?identifier={system}|&_count=99999999");
        var page = Read<Bundle>(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1000, page.Entry.Count);
        Assert.Contains("_offset=1000", page.Link.Single(l => l.Relation == "next").Url);
    }

    [BackendFact]
    public async Task GivenTheSameIncludeRepeated_ThenTheIncludedResourceComesOnce()
    {
        var encounter = await CreateAsync(new Encounter
        {
            Status = Encounter.EncounterStatus.Finished,
            Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
        });
        await CreateAsync(new Condition { Subject = new ResourceReference("Patient/p"), Encounter = new ResourceReference($"Encounter/{encounter}") });
        var includes = string.Join("&", Enumerable.Repeat("_include=Condition:encounter", 200));

        var response = await _client.GetAsync($"/Condition?encounter={encounter}&{includes}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(Read<Bundle>(await response.Content.ReadAsStringAsync()).Entry, e => e.Search.Mode == Bundle.SearchEntryMode.Include);
    }

    /// <summary>Sends, then checks status, OperationOutcome, what it says, the time it took, that nothing was stored, and that the server still works.</summary>
    private async Task AssertRefusedAsync(Func<Task<HttpResponseMessage>> send, HttpStatusCode expected, string says, string? name = null)
    {
        name ??= says;
        var stored = await StoredCountAsync();
        var clock = Stopwatch.StartNew();
        var response = await send();
        var elapsed = clock.Elapsed;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(stored == await StoredCountAsync(), $"{name}: something was stored");

        Assert.True(expected == response.StatusCode, $"{name}: expected {expected}, got {response.StatusCode}: {Shorten(body)}");
        Assert.True(elapsed < Bound, $"{name}: answered after {elapsed}");
        Assert.True(FhirJson == response.Content.Headers.ContentType?.MediaType, $"{name}: {response.Content.Headers.ContentType}");
        var outcome = AssertOutcome(body);
        Assert.True(outcome.Issue.Any(i => i.Diagnostics?.Contains(says, StringComparison.OrdinalIgnoreCase) == true),
            $"{name}: no issue says '{says}': {Shorten(body)}");
        Assert.True(body.Length < 10_000, $"{name}: the answer is {body.Length} characters long");
        await AssertServerAnswersAsync();
    }

    private static OperationOutcome AssertOutcome(string body)
    {
        var outcome = Read<OperationOutcome>(body);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        return outcome;
    }

    private async Task AssertServerAnswersAsync()
    {
        var response = await _client.PostAsync("/Patient", Content("{\"resourceType\":\"Patient\",\"active\":true}", FhirJson));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>Every version of every resource the server holds, through the API.</summary>
    private async Task<int> StoredCountAsync()
    {
        var history = Read<Bundle>(await _client.GetStringAsync("/_history?_count=0"));
        return history.Total!.Value;
    }

    private async Task<string> CreateAsync(Resource resource)
    {
        var response = await _client.PostAsync($"/{resource.TypeName}", Content(new FhirJsonSerializer().SerializeToString(resource), FhirJson));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Read<Resource>(await response.Content.ReadAsStringAsync()).Id;
    }

    private Task<HttpResponseMessage> PostAsync(string url, string body, string contentType = FhirJson) => _client.PostAsync(url, Content(body, contentType));

    private static HttpContent Content(string body, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static string Shorten(string text) => text.Length > 500 ? text[..500] + "…" : text;

    private static T Read<T>(string json) where T : Resource => Assert.IsAssignableFrom<T>(Json.DeserializeResource(json));
}

public sealed class SqliteHostileInputTests(SqliteKestrelServerFixture fixture) : HostileInputTests<SqliteKestrelServerFixture>(fixture);

public sealed class PostgresHostileInputTests(PostgresKestrelServerFixture fixture) : HostileInputTests<PostgresKestrelServerFixture>(fixture);
