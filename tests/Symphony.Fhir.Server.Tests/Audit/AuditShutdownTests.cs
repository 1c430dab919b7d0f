using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Audit;

/// <summary>Read events wait in memory for their batch; a server that stops stores them before it has stopped.</summary>
public abstract class AuditShutdownTests
{
    protected abstract Task<TestBackend?> CreateBackendAsync();

    [BackendFact]
    public async Task GivenReadsJustAnswered_WhenTheServerStops_ThenEveryReadEventIsStoredByTheTimeItHasStopped()
    {
        await using var backend = (await CreateBackendAsync())!;
        var settings = new Dictionary<string, string?>(backend.ServerSettings) { ["role"] = "api", ["Terminology:LoadAtStartup"] = "false" };
        var patientId = $"audit-stop-{Guid.NewGuid():N}";
        const int reads = 50;
        await using (var factory = InMemoryServer.Start(settings))
        {
            using var client = factory.CreateClient();
            var body = new FhirJsonSerializer().SerializeToString(new Patient { Id = patientId, Active = true });
            var put = await client.PutAsync($"/Patient/{patientId}", new StringContent(body, Encoding.UTF8, "application/fhir+json"));
            Assert.True(put.IsSuccessStatusCode);
            for (var i = 0; i < reads; i++)
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/Patient/{patientId}")).StatusCode);
        }

        var store = backend.CreateStore();
        var page = await store.SearchAsync(new SearchQuery("AuditEvent",
            [new SearchCriterion("patient", SearchParamKind.Reference, [new SearchValue("Patient", patientId)])], Count: 200));
        var events = page.Matches.Select(m => new FhirJsonDeserializer().Deserialize<AuditEvent>(m.Json!)).ToList();
        Assert.Equal(reads, events.Count(e => e.Subtype.Single().Code == "read"));
        Assert.Single(events, e => e.Subtype.Single().Code == "update");
    }
}

public sealed class SqliteAuditShutdownTests : AuditShutdownTests
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresAuditShutdownTests : AuditShutdownTests
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}
