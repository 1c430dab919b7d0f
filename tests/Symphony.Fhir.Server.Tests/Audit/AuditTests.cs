// FHIR model properties are nullable; here a null where a value is expected fails the test, which is the right outcome.
#nullable disable warnings

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Tests.Auth;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Audit;

/// <summary>
/// Reads and writes recorded as AuditEvents in the store, with real tokens: a write's event in its transaction, a read's
/// in a later batch; the log read only with an audit scope and written by the server alone.
/// </summary>
public abstract class AuditTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : AuthServerFixture
{
    const string FhirJson = "application/fhir+json";
    static readonly FhirJsonSerializer JsonOut = new();
    static readonly FhirJsonDeserializer JsonIn = new();

    static StringContent Body(Resource resource) => new(JsonOut.SerializeToString(resource), Encoding.UTF8, FhirJson);

    static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    static async Task<T> ReadAsync<T>(HttpResponseMessage response) where T : Resource
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonIn.Deserialize<T>(body);
    }

    static async Task PutPatientAsync(HttpClient client, string id)
    {
        var put = await client.PutAsync($"/Patient/{id}", Body(new Patient { Id = id, Active = true }));
        Assert.True(put.IsSuccessStatusCode, $"Patient/{id}: {(int)put.StatusCode}");
    }

    static async Task<List<AuditEvent>> EventsOfAsync(HttpClient client, string patientId)
    {
        var bundle = await ReadAsync<Bundle>(await client.GetAsync($"/AuditEvent?patient={patientId}&date=ge2020-01-01&_count=100"));
        return bundle.Entry.Select(e => (AuditEvent)e.Resource).ToList();
    }

    /// <summary>The patient's events once one matches: read events are stored by a background batch, not by the read.</summary>
    static async Task<List<AuditEvent>> WaitForEventAsync(HttpClient client, string patientId, Func<AuditEvent, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var events = await EventsOfAsync(client, patientId);
            if (events.Any(match))
                return events;
            Assert.True(DateTime.UtcNow < deadline, $"No matching AuditEvent for Patient/{patientId} among {events.Count}.");
            await Task.Delay(100);
        }
    }

    static string Subtype(AuditEvent audit) => audit.Subtype.Single().Code;

    static bool Names(AuditEvent audit, string reference) =>
        audit.Entity.Any(e => e.What?.Reference is { } r && (r == reference || r.StartsWith(reference + "/_history/", StringComparison.Ordinal)));

    [BackendFact]
    public async Task GivenACreate_WhenItCommits_ThenItsAuditEventIsStoredInTheSameTransaction()
    {
        using var client = fixture.Client;
        var patientId = NewId("audit-create");
        await PutPatientAsync(client, patientId);
        var created = await ReadAsync<Observation>(await client.PostAsync("/Observation", Body(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"Patient/{patientId}"),
        })));

        // No wait: the write's event committed with it.
        var events = await EventsOfAsync(client, patientId);
        var audit = Assert.Single(events, e => Names(e, $"Observation/{created.Id}"));
        Assert.Equal("create", Subtype(audit));
        Assert.Equal("rest", audit.Type.Code);
        Assert.Equal(AuditEvent.AuditEventAction.C, audit.Action);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, audit.Outcome);
        Assert.Contains(audit.Entity, e => e.What.Reference == $"Patient/{patientId}" && e.Role?.Code == "1");
        var agent = Assert.Single(audit.Agent);
        Assert.Equal(TestAuth.ClientId, agent.Who.Identifier.Value);
        Assert.True(agent.Requestor);
        Assert.NotNull(audit.Source.Observer);
    }

    [BackendFact]
    public async Task GivenAnUpdateThatRollsBack_WhenItFails_ThenNoSuccessEventNamesItAndItsFailureIsRecorded()
    {
        using var client = fixture.Client;
        var patientId = NewId("audit-rollback");
        await PutPatientAsync(client, patientId);
        var request = new HttpRequestMessage(HttpMethod.Put, $"/Patient/{patientId}") { Content = Body(new Patient { Id = patientId, Active = false }) };
        request.Headers.TryAddWithoutValidation("If-Match", "W/\"9\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await client.SendAsync(request)).StatusCode);

        var events = await WaitForEventAsync(client, patientId, e => Subtype(e) == "update" && e.Outcome != AuditEvent.AuditEventOutcome.N0);
        // The seeding PUT succeeded; the refused one's event went down with its transaction, only its failure (from the batch) is left.
        Assert.Single(events, e => Subtype(e) == "update" && e.Outcome == AuditEvent.AuditEventOutcome.N0);
        var failure = Assert.Single(events, e => Subtype(e) == "update" && e.Outcome != AuditEvent.AuditEventOutcome.N0);
        Assert.Equal(AuditEvent.AuditEventOutcome.N4, failure.Outcome);
        Assert.Equal("HTTP 412", failure.OutcomeDesc);
    }

    [BackendFact]
    public async Task GivenARead_WhenTheBatchIsStored_ThenTheReadIsRecordedWithItsPatient()
    {
        using var client = fixture.Client;
        var patientId = NewId("audit-read");
        await PutPatientAsync(client, patientId);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/Patient/{patientId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/Patient/{patientId}/_history/1")).StatusCode);

        var events = await WaitForEventAsync(client, patientId, e => Subtype(e) == "vread");
        var read = Assert.Single(events, e => Subtype(e) == "read");
        Assert.Equal(AuditEvent.AuditEventAction.R, read.Action);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, read.Outcome);
        Assert.True(Names(read, $"Patient/{patientId}"));
    }

    [BackendFact]
    public async Task GivenTwoPatientsResources_WhenAuditEventsAreSearchedByPatient_ThenOnlyThatPatientsEventsAnswer()
    {
        using var client = fixture.Client;
        var (mine, theirs) = (NewId("audit-mine"), NewId("audit-theirs"));
        await PutPatientAsync(client, mine);
        await PutPatientAsync(client, theirs);
        var search = await client.GetAsync($"/Patient?_id={theirs}");
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);

        var events = await WaitForEventAsync(client, theirs, e => Subtype(e) == "search-type");
        Assert.All(events, e => Assert.Contains(e.Entity, entity => entity.What?.Reference == $"Patient/{theirs}"));
        Assert.DoesNotContain(events, e => e.Entity.Any(entity => entity.What?.Reference?.Contains(mine) == true));
        Assert.All(await EventsOfAsync(client, mine), e => Assert.DoesNotContain(e.Entity, entity => entity.What?.Reference?.Contains(theirs) == true));
        // The log's own reads are not logged.
        Assert.DoesNotContain(events, e => e.Entity.Any(entity => entity.What?.Reference?.StartsWith("AuditEvent") == true));
    }

    [BackendFact]
    public async Task GivenATokenWithoutAnAuditScope_WhenAuditEventIsReadOrSearched_Then403()
    {
        using var client = fixture.Anonymous();
        foreach (var clientId in new[] { AuthServerFixture.NarrowClient, AuthServerFixture.PatientClient })
        {
            client.WithToken(await TestAuth.TokenAsync(client, clientId, AuthServerFixture.Secret));
            foreach (var path in new[] { "/AuditEvent?patient=x", "/AuditEvent/x" })
            {
                var response = await client.GetAsync(path);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{clientId} {path}: {(int)response.StatusCode}");
                Assert.Equal(OperationOutcome.IssueType.Forbidden, JsonIn.Deserialize<OperationOutcome>(await response.Content.ReadAsStringAsync()).Issue[0].Code);
            }
        }
    }

    [BackendFact]
    public async Task GivenAnAuditEvent_WhenAClientPostsPutsOrDeletesIt_Then405WithAnOperationOutcomeAndMetadataSaysReadOnly()
    {
        using var client = fixture.Client;
        var audit = new AuditEvent
        {
            Id = "forged",
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest"),
            Recorded = DateTimeOffset.UtcNow,
            Agent = [new() { Requestor = true, Who = new ResourceReference { Display = "someone" } }],
            Source = new() { Observer = new ResourceReference { Display = "elsewhere" } },
        };
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new() { Resource = audit, Request = new() { Method = Bundle.HTTPVerb.PUT, Url = "AuditEvent/forged" } }],
        };
        foreach (var response in new[]
        {
            await client.PostAsync("/AuditEvent", Body(audit)),
            await client.PutAsync("/AuditEvent/forged", Body(audit)),
            await client.DeleteAsync("/AuditEvent/forged"),
            await client.PostAsync("/", Body(transaction)),
        })
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{response.RequestMessage.Method} {response.RequestMessage.RequestUri}: {(int)response.StatusCode} {body}");
            Assert.Equal(OperationOutcome.IssueType.NotSupported, JsonIn.Deserialize<OperationOutcome>(body).Issue[0].Code);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/AuditEvent/forged")).StatusCode);
        var metadata = await ReadAsync<CapabilityStatement>(await client.GetAsync("/metadata"));
        var advertised = metadata.Rest[0].Resource.Single(r => r.Type?.ToString() == "AuditEvent").Interaction.Select(i => i.Code).ToList();
        Assert.Contains(CapabilityStatement.TypeRestfulInteraction.SearchType, advertised);
        Assert.DoesNotContain(CapabilityStatement.TypeRestfulInteraction.Create, advertised);
        Assert.DoesNotContain(CapabilityStatement.TypeRestfulInteraction.Update, advertised);
        Assert.DoesNotContain(CapabilityStatement.TypeRestfulInteraction.Delete, advertised);
    }

    [BackendFact]
    public async Task GivenAuditedWrites_WhenTheSystemHistoryIsRead_ThenItLeavesTheLogOutAndTheLogsOwnHistoryHasIt()
    {
        using var client = fixture.Client;
        await PutPatientAsync(client, NewId("audit-history"));
        var system = await ReadAsync<Bundle>(await client.GetAsync("/_history?_count=100"));
        Assert.NotEmpty(system.Entry);
        Assert.DoesNotContain(system.Entry, e => e.FullUrl.Contains("/AuditEvent/"));
        var log = await ReadAsync<Bundle>(await client.GetAsync("/AuditEvent/_history?_count=1"));
        Assert.True(log.Total > 0);
    }

    [BackendFact]
    public async Task GivenRequestsWithAToken_WhenTheirEventsAreStored_ThenNoEventHoldsTheToken()
    {
        using var client = fixture.Anonymous();
        var token = await TestAuth.TokenAsync(client);
        client.WithToken(token);
        var patientId = NewId("audit-token");
        await PutPatientAsync(client, patientId);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/Patient/{patientId}")).StatusCode);
        await WaitForEventAsync(client, patientId, e => Subtype(e) == "read");

        var body = await (await client.GetAsync($"/AuditEvent?patient={patientId}&_count=100")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(token, body);
        Assert.DoesNotContain(token.Split('.')[1], body);
        Assert.DoesNotContain(token.Split('.')[2], body);
    }
}

public sealed class SqliteAuditTests(SqliteAuthServerFixture fixture) : AuditTests<SqliteAuthServerFixture>(fixture);

public sealed class PostgresAuditTests(PostgresAuthServerFixture fixture) : AuditTests<PostgresAuthServerFixture>(fixture);
