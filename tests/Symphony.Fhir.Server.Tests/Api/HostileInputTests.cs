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
    private const string FhirXml = "application/fhir+xml";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly FhirJsonDeserializer Json = new();
    private readonly HttpClient _client = fixture.CreateClient();

    [BackendFact]
    public async Task GivenInvalidUtf8_WhenPostedAsJsonOrXml_Then400NamesTheOffsetOfTheFirstInvalidByte()
    {
        // "Müller" in Latin-1: 0xFC is not UTF-8.
        var json = Bytes("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"M", [0xFC], "ller\"}]}");
        var xml = Bytes("<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"M", [0xFC], "ller\"/></name></Patient>");

        await AssertRefusedAsync(() => PostBytesAsync("/Patient", json, FhirJson), HttpStatusCode.BadRequest, "offset 46");
        await AssertRefusedAsync(() => PostBytesAsync("/Patient", xml, FhirXml), HttpStatusCode.BadRequest, "offset 59");
    }

    [BackendFact]
    public async Task GivenAPatientWith200000Names_WhenPosted_Then413NamesTheElementLimitAndItsSetting()
    {
        var body = "{\"resourceType\":\"Patient\",\"name\":[" + string.Join(",", Enumerable.Repeat("{\"family\":\"x\"}", 200_000)) + "]}";

        await AssertRefusedAsync(() => PostAsync("/Patient", body), HttpStatusCode.RequestEntityTooLarge, "Fhir:MaxElements");
    }

    [BackendFact]
    public async Task GivenATransactionOf100000Entries_WhenPosted_Then413NamesTheEntryLimitAndItsSetting()
    {
        const string entry = "{\"request\":{\"method\":\"POST\",\"url\":\"Patient\"},\"resource\":{\"resourceType\":\"Patient\",\"active\":true}}";
        var body = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" + string.Join(",", Enumerable.Repeat(entry, 100_000)) + "]}";
        // JSON allows any order: the type after the entries is judged as well.
        var typeLast = "{\"type\":\"batch\",\"entry\":[" + string.Join(",", Enumerable.Repeat(entry, 10_001)) + "],\"resourceType\":\"Bundle\"}";

        await AssertRefusedAsync(() => PostAsync("/", body), HttpStatusCode.RequestEntityTooLarge, "Fhir:MaxBundleEntries");
        await AssertRefusedAsync(() => PostAsync("/", typeLast), HttpStatusCode.RequestEntityTooLarge, "Fhir:MaxBundleEntries");
    }

    [BackendFact]
    public async Task GivenAUrlOrHeadersOverTheLimit_WhenSentThroughKestrel_Then414Or431WithAnOperationOutcome()
    {
        var longSearch = "/Patient?identifier=" + new string('a', 10 * 1024);
        var tenThousandIds = "/Patient?_id=" + string.Join(",", Enumerable.Range(0, 10_000));
        var bigHeader = new HttpRequestMessage(HttpMethod.Get, "/metadata");
        bigHeader.Headers.Add("X-Big", new string('a', 40 * 1024));
        var manyHeaders = new HttpRequestMessage(HttpMethod.Get, "/metadata");
        for (var i = 0; i < 150; i++)
            manyHeaders.Headers.Add($"X-Header-{i}", "x");

        await AssertRefusedAsync(() => _client.GetAsync(longSearch), HttpStatusCode.RequestUriTooLong, "Fhir:MaxUrlBytes");
        await AssertRefusedAsync(() => _client.GetAsync(tenThousandIds), HttpStatusCode.RequestUriTooLong, "Fhir:MaxUrlBytes");
        await AssertRefusedAsync(() => _client.SendAsync(bigHeader), HttpStatusCode.RequestHeaderFieldsTooLarge, "Fhir:MaxHeaderBytes");
        await AssertRefusedAsync(() => _client.SendAsync(manyHeaders), HttpStatusCode.RequestHeaderFieldsTooLarge, "100 headers");
    }

    [BackendFact]
    public async Task GivenAnImportWhoseContentLengthIsOverTheLimit_ThenItIs413BeforeAByteOfTheBodyIsSent()
    {
        await using var raw = await RawHttp.ConnectAsync(fixture.BaseAddress);
        var clock = Stopwatch.StartNew();

        // The body never comes: a server that waited for it would answer 408 after the minimum data rate's grace period.
        await raw.SendAsync($"POST /CodeSystem/$import HTTP/1.1\r\nHost: {fixture.BaseAddress.Authority}\r\nAuthorization: Bearer {fixture.Token}\r\nContent-Type: application/zip\r\n" +
            $"Content-Length: {KestrelServerFixture.MaxImportBytes + 1}\r\n\r\n");
        var (status, _, body) = await raw.ReadResponseAsync(new CancellationTokenSource(Bound).Token);

        Assert.Equal(413, status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"answered after {clock.Elapsed}");
        var outcome = AssertOutcome(body);
        Assert.Contains($"{KestrelServerFixture.MaxImportBytes} bytes (Fhir:MaxImportBytes)", outcome.Issue[0].Diagnostics);
        await AssertServerAnswersAsync();
    }

    [BackendFact]
    public async Task GivenAChunkedImportOverTheLimit_WhenStreamed_Then413AsSoonAsTheLimitIsPassedAndNothingIsImported()
    {
        // A CodeSystem of about twice the limit, which would be imported if it were allowed in.
        var url = $"http://example.org/hostile/{Guid.NewGuid():N}";
        var codeSystem = Encoding.UTF8.GetBytes($"{{\"resourceType\":\"CodeSystem\",\"url\":\"{url}\",\"version\":\"1\",\"status\":\"active\",\"content\":\"complete\",\"concept\":[" +
            string.Join(",", Enumerable.Range(0, (int)(KestrelServerFixture.MaxImportBytes / 20)).Select(i => $"{{\"code\":\"c{i}\",\"display\":\"x\"}}")) + "]}");
        Assert.True(codeSystem.Length > KestrelServerFixture.MaxImportBytes);
        await using var raw = await RawHttp.ConnectAsync(fixture.BaseAddress);
        await raw.SendAsync($"POST /CodeSystem/$import HTTP/1.1\r\nHost: {fixture.BaseAddress.Authority}\r\nAuthorization: Bearer {fixture.Token}\r\nContent-Type: {FhirJson}\r\nTransfer-Encoding: chunked\r\n\r\n");
        var response = raw.ReadResponseAsync(new CancellationTokenSource(Bound).Token);

        // Then ten times as much padding, stopping once the server has answered.
        const int chunk = 64 * 1024;
        long sent = 0;
        var chunks = codeSystem.Chunk(chunk).Concat(Enumerable.Repeat(Encoding.ASCII.GetBytes(new string(' ', chunk)), 10 * (int)(KestrelServerFixture.MaxImportBytes / chunk)));
        foreach (var bytes in chunks)
        {
            if (response.IsCompleted || !await raw.SendAsync([.. Encoding.ASCII.GetBytes($"{bytes.Length:x}\r\n"), .. bytes, .. "\r\n"u8]))
                break;
            sent += bytes.Length;
        }
        var (status, _, body) = await response;

        Assert.Equal(413, status);
        Assert.Contains("Fhir:MaxImportBytes", AssertOutcome(body).Issue[0].Diagnostics);
        Assert.True(sent < 10 * KestrelServerFixture.MaxImportBytes, $"the server read {sent} bytes, on past the limit");
        var lookup = await _client.GetAsync($"/CodeSystem/$lookup?system={url}&code=c1");
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
        await AssertServerAnswersAsync();
    }

    [BackendFact]
    public async Task GivenABodyThatTricklesInSlowerThanTheMinimumRate_Then408WithAnOperationOutcomeAndNothingStored()
    {
        var stored = await StoredCountAsync();
        await using var raw = await RawHttp.ConnectAsync(fixture.BaseAddress);
        var clock = Stopwatch.StartNew();
        await raw.SendAsync($"POST /Patient HTTP/1.1\r\nHost: {fixture.BaseAddress.Authority}\r\nAuthorization: Bearer {fixture.Token}\r\nContent-Type: {FhirJson}\r\nContent-Length: 10000\r\n\r\n{{");
        var response = raw.ReadResponseAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        // A byte every half second, far below Kestrel's 240 bytes/s after its 5 s of grace.
        while (!response.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(30) && await raw.SendAsync(" "))
            await Task.Delay(500);
        var (status, _, body) = await response;

        Assert.Equal(408, status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"answered after {clock.Elapsed}");
        Assert.Equal(OperationOutcome.IssueType.Timeout, AssertOutcome(body).Issue[0].Code);
        Assert.Equal(stored, await StoredCountAsync());
        await AssertServerAnswersAsync();
    }

    /// <summary>Kestrel answers this one itself (a bare 408, the application never sees the request): only its timing is ours.</summary>
    [BackendFact]
    public async Task GivenHeadersThatNeverEnd_ThenTheConnectionIsLetGoWithinTheConfiguredHeadersTimeout()
    {
        await using var raw = await RawHttp.ConnectAsync(fixture.BaseAddress);
        var clock = Stopwatch.StartNew();
        await raw.SendAsync("GET /metadata HTTP/1.1\r\nHost: test\r\n");
        var response = raw.ReadResponseAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        for (var i = 0; !response.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(30) && await raw.SendAsync($"X-Slow-{i}: x\r\n"); i++)
            await Task.Delay(250);
        var (status, _, _) = await response;

        Assert.True(status is 408 or 0, $"status {status}");
        Assert.True(clock.Elapsed < KestrelServerFixture.RequestHeadersTimeout + Bound, $"let go after {clock.Elapsed}");
        await AssertServerAnswersAsync();
    }

    [BackendFact]
    public async Task GivenHostileBodies_WhenPosted_ThenEachGetsIts4xxAndAnOperationOutcomeAndNothingIsStored()
    {
        const string patient = "{\"resourceType\":\"Patient\",\"active\":true}";
        var cases = new (string Name, Func<Task<HttpResponseMessage>> Send, HttpStatusCode Expected, string Says)[]
        {
            ("JSON nested 1,000 levels", () => PostAsync("/Patient", "{\"resourceType\":\"Patient\",\"extension\":[" +
                Repeat("{\"url\":\"http://x\",\"extension\":[", 1000) + Repeat("]}", 1000) + "]}"), HttpStatusCode.BadRequest, "64 levels"),
            // Without the depth limit this one overflowed the stack of the XML parser: the process ended.
            ("XML nested 100,000 levels", () => PostAsync("/Patient", "<Patient xmlns=\"http://hl7.org/fhir\">" +
                Repeat("<extension url=\"http://x\">", 100_000) + Repeat("</extension>", 100_000) + "</Patient>", FhirXml), HttpStatusCode.BadRequest, "64 levels"),
            // And this one the stack of the narrative validator.
            ("narrative nested 100,000 levels in JSON", () => PostAsync("/Patient", "{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"" +
                "<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">" + Repeat("<div>", 100_000) + Repeat("</div>", 100_000) + "</div>\"}}"), HttpStatusCode.BadRequest, "64 levels"),
            ("narrative nested deep behind an escaped name", () => PostAsync("/Patient", "{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"di\\u0076\":\"" +
                "<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">" + Repeat("<div>", 1000) + Repeat("</div>", 1000) + "</div>\"}}"), HttpStatusCode.BadRequest, "64 levels"),
            ("200,000 names behind a byte order mark", () => PostBytesAsync("/Patient", Bytes("", [0xEF, 0xBB, 0xBF],
                "{\"resourceType\":\"Patient\",\"name\":[" + Repeat("{\"family\":\"x\"},", 200_000) + "{}]}"), FhirJson), HttpStatusCode.RequestEntityTooLarge, "Fhir:MaxElements"),
            ("a contained resource over the element limit", () => PostAsync("/Patient", "{\"resourceType\":\"Patient\",\"contained\":[{\"resourceType\":\"Patient\",\"name\":[" +
                Repeat("{\"family\":\"x\"},", 60_000) + "{}]}]}"), HttpStatusCode.RequestEntityTooLarge, "A Patient in the body has more than 100000"),
            ("XML with 200,000 names", () => PostAsync("/Patient", "<Patient xmlns=\"http://hl7.org/fhir\">" +
                Repeat("<name><family value=\"x\"/></name>", 200_000) + "</Patient>", FhirXml), HttpStatusCode.RequestEntityTooLarge, "Fhir:MaxElements"),
            ("XML Bundle of 10,001 entries", () => PostAsync("/", "<Bundle xmlns=\"http://hl7.org/fhir\"><type value=\"batch\"/>" +
                Repeat("<entry><request><method value=\"GET\"/><url value=\"metadata\"/></request></entry>", 10_001) + "</Bundle>", FhirXml),
                HttpStatusCode.RequestEntityTooLarge, "Fhir:MaxBundleEntries"),
            ("billion laughs", () => PostAsync("/Patient", "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">" +
                "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&c;\"/></name></Patient>", FhirXml),
                HttpStatusCode.BadRequest, "DTD"),
            ("external entity", () => PostAsync("/Patient", "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
                "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&x;\"/></name></Patient>", FhirXml), HttpStatusCode.BadRequest, "DTD"),
            ("duplicate JSON keys", () => PostAsync("/Patient", "{\"resourceType\":\"Patient\",\"active\":true,\"active\":false}"), HttpStatusCode.BadRequest, "duplicate"),
            ("raw NUL in a JSON string", () => PostBytesAsync("/Patient", Bytes("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"a", [0], "b\"}]}"), FhirJson), HttpStatusCode.BadRequest, "0x00"),
            ("escaped NUL in a JSON string", () => PostAsync("/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"a\\u0000b\"}]}"), HttpStatusCode.UnprocessableEntity, "family"),
            ("NUL character reference in XML", () => PostAsync("/Patient", "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"a&#0;b\"/></name></Patient>", FhirXml), HttpStatusCode.BadRequest, "invalid character"),
            ("a 1 MB id", () => PostAsync("/Patient", "{\"resourceType\":\"Patient\",\"id\":\"" + new string('a', 1_000_000) + "\"}"), HttpStatusCode.BadRequest, "characters left out"),
            ("a 100,000-digit number", () => PostAsync("/Observation", "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"valueQuantity\":{\"value\":" +
                new string('9', 100_000) + "}}"), HttpStatusCode.BadRequest, "characters left out"),
            ("a 5 MB string in a date", () => PostAsync("/Patient", "{\"resourceType\":\"Patient\",\"birthDate\":\"" + new string('1', 5_000_000) + "\"}"), HttpStatusCode.BadRequest, "characters left out"),
            ("body over Fhir:MaxBodyBytes", () => PostExpectingContinueAsync("/Patient", Content(new string(' ', 11 * 1024 * 1024), FhirJson)),
                HttpStatusCode.RequestEntityTooLarge, "Fhir:MaxBodyBytes"),
            // Read by the form reader, not by the resource reader: Kestrel's limit, set from the same setting, answers.
            ("a 12 MB search form", () => PostExpectingContinueAsync("/Patient/_search", new FormUrlEncodedContent(
                Enumerable.Range(0, 3).Select(_ => new KeyValuePair<string, string>("_id", new string('a', 4_000_000))))),
                HttpStatusCode.RequestEntityTooLarge, "Fhir:MaxBodyBytes"),
            ("text/plain", () => PostAsync("/Patient", patient, "text/plain"), HttpStatusCode.UnsupportedMediaType, "Content-Type"),
            ("no content type", () => PostBytesAsync("/Patient", Encoding.UTF8.GetBytes(patient), null), HttpStatusCode.UnsupportedMediaType, "Content-Type"),
            ("a Latin-1 charset", () => PostAsync("/Patient", patient, FhirJson + "; charset=iso-8859-1"), HttpStatusCode.UnsupportedMediaType, "UTF-8"),
            ("UTF-16", () => PostBytesAsync("/Patient", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(patient)).ToArray(), FhirJson), HttpStatusCode.BadRequest, "UTF-8"),
            ("an empty body", () => PostAsync("/Patient", "", FhirJson), HttpStatusCode.BadRequest, "empty"),
            ("an update whose id is 1,000 characters", () => _client.PutAsync("/Patient/" + new string('a', 1000), Content(
                "{\"resourceType\":\"Patient\",\"id\":\"" + new string('a', 1000) + "\"}", FhirJson)), HttpStatusCode.BadRequest, "Patient.id"),
        };
        foreach (var (name, send, expected, says) in cases)
            await AssertRefusedAsync(send, expected, says, name);
    }

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

    /// <summary>Expect: 100-continue, so that a body refused on its Content-Length is never sent (else the refusal can race the upload).</summary>
    private Task<HttpResponseMessage> PostExpectingContinueAsync(string url, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.ExpectContinue = true;
        return _client.SendAsync(request);
    }

    private Task<HttpResponseMessage> PostBytesAsync(string url, byte[] body, string? contentType)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return _client.PostAsync(url, content);
    }

    private static HttpContent Content(string body, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static byte[] Bytes(string before, byte[] bytes, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. bytes, .. Encoding.UTF8.GetBytes(after)];

    private static string Repeat(string text, int times) => new StringBuilder(text.Length * times).Insert(0, text, times).ToString();

    private static string Shorten(string text) => text.Length > 500 ? text[..500] + "…" : text;

    private static T Read<T>(string json) where T : Resource => Assert.IsAssignableFrom<T>(Json.DeserializeResource(json));
}

public sealed class SqliteHostileInputTests(SqliteKestrelServerFixture fixture) : HostileInputTests<SqliteKestrelServerFixture>(fixture);

public sealed class PostgresHostileInputTests(PostgresKestrelServerFixture fixture) : HostileInputTests<PostgresKestrelServerFixture>(fixture);
