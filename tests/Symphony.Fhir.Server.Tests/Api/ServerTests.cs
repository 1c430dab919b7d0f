// FHIR model properties are nullable; here a null where a value is expected fails the test with a NullReferenceException, which is the right outcome.
#nullable disable warnings

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Api;

/// <summary>The HTTP API over a real server and database; each subclass runs the same tests on its backend.</summary>
public abstract class ServerTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServerFixture
{
    private const string FhirJson = "application/fhir+json";
    private static readonly FhirJsonDeserializer Json = new();
    private static readonly FhirJsonSerializer JsonOut = new();
    private readonly HttpClient _client = fixture.Client;

    [BackendFact]
    public async Task GivenAResourceCreatedOverHttp_WhenItsDatabaseIsReadDirectly_ThenItIsThere()
    {
        var created = await _client.PostAsync("/Patient", Body(new Patient { Gender = AdministrativeGender.Female }));
        var id = created.Headers.Location!.ToString().Split('/')[^3];

        var stored = await fixture.Backend.CreateStore().ReadAsync("Patient", id);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.NotNull(stored); // the server runs on the backend this class is named after, not on a default database
    }

    [BackendFact]
    public async Task GivenTheServer_WhenAskedForMetadata_ThenTheCapabilityStatementListsWhatWorks()
    {
        var response = await _client.GetAsync("/metadata");
        var capabilities = await ReadAsync<CapabilityStatement>(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var documentReference = capabilities.Rest[0].Resource.Single(r => r.Type == "DocumentReference");
        Assert.Contains(documentReference.SearchParam, p => p.Name == "encounter" && p.Type == SearchParamType.Reference);
        Assert.Contains("Condition:encounter", capabilities.Rest[0].Resource.Single(r => r.Type == "Condition").SearchInclude);
        Assert.Contains(capabilities.Rest[0].Resource.Single(r => r.Type == "Provenance").SearchParam, p => p.Name == "target");
        Assert.DoesNotContain(capabilities.Rest[0].Resource, r => r.Type is "Resource" or "DomainResource");
        Assert.All(capabilities.Rest[0].Resource, r => Assert.Contains(r.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.Vread));
    }

    [BackendFact]
    public async Task GivenASyntheaDocumentReference_WhenPosted_ThenItIsCreatedReadsBackEqualAndIsFoundByEncounter()
    {
        var original = Json.DeserializeResource(SyntheaFixtures.First("DocumentReference"));
        var encounter = ((DocumentReference)original).Context.Encounter[0].Reference;

        var created = await _client.PostAsync("/DocumentReference", Body(original));
        var location = created.Headers.Location!.ToString();
        var id = location.Split('/')[^3];
        var read = await ReadAsync<DocumentReference>(await _client.GetAsync($"/DocumentReference/{id}"));
        var search = await ReadAsync<Bundle>(await _client.GetAsync($"/DocumentReference?encounter={encounter}&_sort=-_lastUpdated&_count=100"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.EndsWith($"/DocumentReference/{id}/_history/1", location);
        Assert.Equal("W/\"1\"", created.Headers.ETag!.ToString());
        AssertSameContent(original, read);
        Assert.Contains(search.Entry, e => e.Resource.Id == id && e.Search.Mode == Bundle.SearchEntryMode.Match);
    }

    [BackendFact]
    public async Task GivenEverySyntheaPatientEncounterAndDocumentReference_WhenCreated_ThenEachReadsBackEqual()
    {
        var lines = new[] { "Patient", "Encounter", "DocumentReference" }.SelectMany(SyntheaFixtures.Lines).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();

        await Parallel.ForEachAsync(lines, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (line, ct) =>
        {
            var original = Json.DeserializeResource(line);
            var created = await _client.PostAsync($"/{original.TypeName}", Body(original), ct);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                failures.Add($"{original.TypeName}/{original.Id}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync(ct)}");
                return;
            }
            var read = Json.DeserializeResource(await _client.GetStringAsync(created.Headers.Location, ct));
            original.Id = read.Id;
            original.Meta.VersionId = read.Meta.VersionId;
            original.Meta.LastUpdated = read.Meta.LastUpdated;
            if (!original.IsExactly(read))
                failures.Add($"{original.TypeName} {read.Id} differs after the round trip");
        });

        Assert.Equal(1215 + 1215 + 13, lines.Count);
        Assert.True(failures.IsEmpty, string.Join("\n", failures));
    }

    [BackendFact]
    public async Task GivenAMalformedBody_WhenPosted_Then400WithAnOperationOutcome()
    {
        var response = await _client.PostAsync("/Patient", new StringContent("{\"resourceType\":\"Patient\",", Encoding.UTF8, FhirJson));
        var unknownElement = await _client.PostAsync("/Patient", new StringContent("{\"resourceType\":\"Patient\",\"shoeSize\":42}", Encoding.UTF8, FhirJson));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotEmpty((await ReadAsync<OperationOutcome>(response)).Issue);
        Assert.Equal(HttpStatusCode.BadRequest, unknownElement.StatusCode);
        Assert.Equal("Patient.shoeSize", (await ReadAsync<OperationOutcome>(unknownElement)).Issue[0].Expression.Single());
    }

    [BackendFact]
    public async Task GivenBadRequests_ThenEachGetsItsStatusAndAnOperationOutcome()
    {
        var patient = new Patient { Id = "abc" };
        var cases = new (string Name, Func<Task<HttpResponseMessage>> Send, HttpStatusCode Expected)[]
        {
            ("unknown type", () => _client.PostAsync("/Dragon", Body(patient)), HttpStatusCode.NotFound),
            ("unknown route", () => _client.GetAsync("/Patient/1/2/3/4"), HttpStatusCode.NotFound),
            ("id mismatch", () => _client.PutAsync("/Patient/xyz", Body(patient)), HttpStatusCode.BadRequest),
            ("type mismatch", () => _client.PostAsync("/Encounter", Body(patient)), HttpStatusCode.BadRequest),
            ("wrong media type", () => _client.PostAsync("/Patient", new StringContent(JsonOut.SerializeToString(patient), Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType),
            ("too large", () => _client.PostAsync("/Patient", new StringContent(new string(' ', ServerFixture.MaxBodyBytes + 1), Encoding.UTF8, FhirJson)), HttpStatusCode.RequestEntityTooLarge),
            ("unknown search parameter", () => _client.GetAsync("/Patient?shoeSize=42"), HttpStatusCode.BadRequest),
            ("bad date", () => _client.GetAsync("/Encounter?date=yesterday"), HttpStatusCode.BadRequest),
            ("bad _count", () => _client.GetAsync("/Encounter?_count=-1"), HttpStatusCode.BadRequest),
            ("bad _include", () => _client.GetAsync("/Condition?_include=Condition:code"), HttpStatusCode.BadRequest),
            ("unknown id", () => _client.GetAsync($"/Patient/{Guid.NewGuid()}"), HttpStatusCode.NotFound),
            ("method not allowed", () => _client.PatchAsync("/Patient/abc", Body(patient)), HttpStatusCode.MethodNotAllowed),
            ("unsupported _format", () => _client.GetAsync("/metadata?_format=yaml"), HttpStatusCode.NotAcceptable),
            ("not a bundle at the base", () => _client.PostAsync("/", Body(patient)), HttpStatusCode.BadRequest),
            ("unknown charset", () => _client.PostAsync("/Patient", WithContentType(Body(patient), "application/fhir+json; charset=klingon")), HttpStatusCode.UnsupportedMediaType),
            ("bad If-Match", () => SendAsync(HttpMethod.Put, "/Patient/abc", patient, ("If-Match", "yesterday")), HttpStatusCode.BadRequest),
            ("deeply nested JSON", () => _client.PostAsync("/Patient", new StringContent(new string('[', 5000), Encoding.UTF8, FhirJson)), HttpStatusCode.BadRequest),
            ("malformed XML", () => _client.PostAsync("/Patient", new StringContent("<Patient xmlns=\"http://hl7.org/fhir\"><id value=", Encoding.UTF8, "application/fhir+xml")), HttpStatusCode.BadRequest),
        };
        foreach (var (name, send, expected) in cases)
        {
            var response = await send();
            Assert.True(expected == response.StatusCode, $"{name}: expected {expected}, got {response.StatusCode}");
            var outcome = await ReadAsync<OperationOutcome>(response);
            Assert.True(outcome.Issue.Count > 0, name);
        }
    }

    [BackendFact]
    public async Task GivenEmptySearchValues_ThenTheyAreIgnoredRatherThanFailing()
    {
        foreach (var url in new[] { "/Condition?code=", "/Condition?code=,", "/Condition?_id=&encounter=", "/Encounter?date=&_lastUpdated=" })
        {
            var response = await _client.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode}");
            Assert.Equal(Bundle.BundleType.Searchset, (await ReadAsync<Bundle>(response)).Type);
        }
    }

    [BackendFact]
    public async Task GivenAnUnknownSearchParameter_WhenLenientHandlingIsPreferred_ThenItIsIgnoredWithAWarning()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/Patient?shoeSize=42&_count=1");
        request.Headers.Add("Prefer", "handling=lenient");

        var bundle = await ReadAsync<Bundle>(await _client.SendAsync(request));

        var outcome = bundle.Entry.Single(e => e.Search.Mode == Bundle.SearchEntryMode.Outcome).Resource as OperationOutcome;
        Assert.Contains("shoeSize", outcome!.Issue[0].Diagnostics);
    }

    [BackendFact]
    public async Task GivenAResourceThatBreaksR4Core_WhenPosted_Then422WithIssueExpressions()
    {
        var response = await _client.PostAsync("/Patient", Body(PatientBreakingPat1()));
        var outcome = await ReadAsync<OperationOutcome>(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Expression.Any());
    }

    [BackendFact]
    public async Task GivenAnUpdate_WhenIfMatchIsStale_Then412AndOtherwiseANewVersion()
    {
        var id = Guid.NewGuid().ToString();
        var patient = new Patient { Id = id, Name = [new HumanName { Family = "One" }] };
        var created = await _client.PutAsync($"/Patient/{id}", Body(patient));
        patient.Name[0].Family = "Two";
        var updated = await SendAsync(HttpMethod.Put, $"/Patient/{id}", patient, ("If-Match", "W/\"1\""));
        patient.Name[0].Family = "Three";
        var stale = await SendAsync(HttpMethod.Put, $"/Patient/{id}", patient, ("If-Match", "W/\"1\""));
        var version1 = await ReadAsync<Patient>(await _client.GetAsync($"/Patient/{id}/_history/1"));
        var history = await ReadAsync<Bundle>(await _client.GetAsync($"/Patient/{id}/_history"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("W/\"2\"", updated.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("One", version1.Name[0].Family);
        Assert.Equal(2, history.Total);
    }

    [BackendFact]
    public async Task GivenADeletedResource_ThenReadIsGoneAndHistoryKeepsIt()
    {
        var created = await _client.PostAsync("/Patient", Body(new Patient { Gender = AdministrativeGender.Female }));
        var id = created.Headers.Location!.ToString().Split('/')[^3];

        var deleted = await _client.DeleteAsync($"/Patient/{id}");
        var read = await _client.GetAsync($"/Patient/{id}");
        var version1 = await _client.GetAsync($"/Patient/{id}/_history/1");
        var history = await ReadAsync<Bundle>(await _client.GetAsync($"/Patient/{id}/_history"));

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, version1.StatusCode);
        Assert.Equal([Bundle.HTTPVerb.DELETE, Bundle.HTTPVerb.POST], history.Entry.Select(e => e.Request.Method!.Value));
    }

    [BackendFact]
    public async Task GivenXml_WhenPostedAndReadWithFormatXml_ThenItRoundTripsAsXml()
    {
        var patient = new Patient { BirthDate = "1970-01-01", Name = [new HumanName { Family = "Xml" }] };
        var content = new StringContent(new FhirXmlSerializer().SerializeToString(patient), Encoding.UTF8, "application/fhir+xml");

        var created = await _client.PostAsync("/Patient", content);
        var xml = await _client.GetAsync(created.Headers.Location + "?_format=xml");
        var accept = new HttpRequestMessage(HttpMethod.Get, created.Headers.Location);
        accept.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+xml"));
        var negotiated = await _client.SendAsync(accept);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("application/fhir+xml", xml.Content.Headers.ContentType!.MediaType);
        var read = (Patient)new FhirXmlDeserializer().DeserializeResource(await xml.Content.ReadAsStringAsync());
        Assert.Equal("Xml", read.Name[0].Family);
        Assert.Equal("application/fhir+xml", negotiated.Content.Headers.ContentType!.MediaType);
    }

    [BackendFact]
    public async Task GivenATransactionWithUrnUuidReferences_ThenAllAreStoredAndReferencesPointAtTheNewIds()
    {
        var (bundle, marker) = EncounterWithNote();

        var response = await _client.PostAsync("/", Body(bundle));
        var result = await ReadAsync<Bundle>(response);
        var encounterId = result.Entry[0].Response.Location.Split('/')[1];
        var notes = await ReadAsync<Bundle>(await _client.GetAsync($"/DocumentReference?encounter=Encounter/{encounterId}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Bundle.BundleType.TransactionResponse, result.Type);
        Assert.All(result.Entry, e => Assert.StartsWith("201", e.Response.Status));
        var note = Assert.Single(notes.Entry).Resource as DocumentReference;
        Assert.Equal(marker, note!.Identifier[0].Value);
    }

    [BackendFact]
    public async Task GivenATransactionWithAnInvalidEntry_ThenNothingIsStored()
    {
        var (bundle, marker) = EncounterWithNote();
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            Resource = PatientBreakingPat1(),
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" },
        });

        var response = await _client.PostAsync("/", Body(bundle));
        var notes = await ReadAsync<Bundle>(await _client.GetAsync($"/DocumentReference?identifier=urn:test|{marker}"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(0, notes.Total);
    }

    [BackendFact]
    public async Task GivenABatchWithAGoodAndABadEntry_ThenEachEntryReportsItsOwnStatus()
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Batch };
        bundle.Entry.Add(new Bundle.EntryComponent { Resource = new Patient { Active = true }, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } });
        bundle.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{Guid.NewGuid()}" } });

        var result = await ReadAsync<Bundle>(await _client.PostAsync("/", Body(bundle)));

        Assert.StartsWith("201", result.Entry[0].Response.Status);
        Assert.Equal("404", result.Entry[1].Response.Status);
        Assert.IsType<OperationOutcome>(result.Entry[1].Response.Outcome);
    }

    [BackendFact]
    public async Task GivenIfNoneExist_WhenTheResourceExists_ThenNoSecondIsCreated()
    {
        var marker = Guid.NewGuid().ToString("N");
        var patient = new Patient { Identifier = [new Identifier("urn:test", marker)] };

        var first = await SendAsync(HttpMethod.Post, "/Patient", patient, ("If-None-Exist", $"identifier=urn:test|{marker}"));
        var second = await SendAsync(HttpMethod.Post, "/Patient", patient, ("If-None-Exist", $"identifier=urn:test|{marker}"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
    }

    [BackendFact]
    public async Task GivenConditionsOfAnEncounter_WhenSearchedWithInclude_ThenTheEncounterComesAlongAndPagingLinksWork()
    {
        var (bundle, _) = EncounterWithNote();
        var encounterId = (await ReadAsync<Bundle>(await _client.PostAsync("/", Body(bundle)))).Entry[0].Response.Location.Split('/')[1];
        for (var i = 0; i < 3; i++)
        {
            var condition = new Condition
            {
                Subject = new ResourceReference("Patient/p1"),
                Encounter = new ResourceReference($"Encounter/{encounterId}"),
                Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-10-cm", $"I1{i}"),
            };
            Assert.Equal(HttpStatusCode.Created, (await _client.PostAsync("/Condition", Body(condition))).StatusCode);
        }

        var page1 = await ReadAsync<Bundle>(await _client.GetAsync($"/Condition?encounter={encounterId}&_include=Condition:encounter&_count=2"));
        var next = page1.Link.Single(l => l.Relation == "next").Url;
        var page2 = await ReadAsync<Bundle>(await _client.GetAsync(next));
        var byCode = await ReadAsync<Bundle>(await _client.GetAsync($"/Condition?encounter=Encounter/{encounterId}&code=http://hl7.org/fhir/sid/icd-10-cm|I11"));

        Assert.Equal(3, page1.Total);
        Assert.Equal(2, page1.Entry.Count(e => e.Search.Mode == Bundle.SearchEntryMode.Match));
        Assert.Equal(encounterId, page1.Entry.Single(e => e.Search.Mode == Bundle.SearchEntryMode.Include).Resource.Id);
        Assert.Single(page2.Entry, e => e.Search.Mode == Bundle.SearchEntryMode.Match);
        Assert.Equal("I11", ((Condition)byCode.Entry.Single().Resource).Code.Coding[0].Code);
    }

    /// <summary>Parses fine but breaks invariant pat-1: a contact needs details or an organization.</summary>
    private static Patient PatientBreakingPat1() =>
        new() { Contact = [new Patient.ContactComponent { Gender = AdministrativeGender.Female }] };

    private static (Bundle Bundle, string Marker) EncounterWithNote()
    {
        var marker = Guid.NewGuid().ToString("N");
        var encounterUrl = $"urn:uuid:{Guid.NewGuid()}";
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = encounterUrl,
            Resource = new Encounter { Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP") },
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Encounter" },
        });
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = $"urn:uuid:{Guid.NewGuid()}",
            Resource = new DocumentReference
            {
                Status = DocumentReferenceStatus.Current,
                Identifier = [new Identifier("urn:test", marker)],
                Context = new DocumentReference.ContextComponent { Encounter = [new ResourceReference(encounterUrl)] },
                Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Data = "Tm90ZQ=="u8.ToArray() } }],
            },
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "DocumentReference" },
        });
        return (bundle, marker);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, Resource resource, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url) { Content = Body(resource) };
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        return _client.SendAsync(request);
    }

    private static StringContent WithContentType(StringContent content, string contentType)
    {
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static StringContent Body(Resource resource) => new(JsonOut.SerializeToString(resource), Encoding.UTF8, FhirJson);

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response) where T : Resource
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(FhirJson, response.Content.Headers.ContentType?.MediaType);
        return Assert.IsType<T>(Json.DeserializeResource(text));
    }

    private static void AssertSameContent(Resource original, Resource stored)
    {
        var expected = (Resource)original.DeepCopy();
        expected.Id = stored.Id;
        expected.Meta.VersionId = stored.Meta.VersionId;
        expected.Meta.LastUpdated = stored.Meta.LastUpdated;
        Assert.True(expected.IsExactly(stored), "the stored resource differs from the one posted");
    }
}

public sealed class SqliteServerTests(SqliteServerFixture fixture) : ServerTests<SqliteServerFixture>(fixture);

public sealed class PostgresServerTests(PostgresServerFixture fixture) : ServerTests<PostgresServerFixture>(fixture);
