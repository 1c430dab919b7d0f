using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.Terminology;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Terminology;

/// <summary>
/// A code system imported through the API is in the server's database: a restarted server (that does
/// not import the shipped releases) answers from what it stored.
/// </summary>
public abstract class TerminologyPersistenceTests
{
    const string System = "http://example.org/fhir/CodeSystem/site-wards";

    protected abstract Task<TestBackend> CreateBackendAsync();

    static WebApplicationFactory<Program> Start(TestBackend backend) =>
        InMemoryServer.Start(new Dictionary<string, string?>(backend.ServerSettings) { ["Terminology:ImportShipped"] = "false" });

    static async Task WaitUntilReady(WebApplicationFactory<Program> factory)
    {
        var state = factory.Services.GetRequiredKeyedService<Symphony.Fhir.Server.Health.Readiness>(TerminologyStartup.Part);
        for (var i = 0; i < 1800 && !state.IsReady; i++) await Task.Delay(100);
        Assert.True(state.IsReady);
    }

    [BackendFact]
    public async Task GivenAnImportedCodeSystem_WhenTheServerRestarts_ThenItAnswersFromTheDatabase()
    {
        await using var backend = await CreateBackendAsync();
        var cs = new CodeSystem
        {
            Url = System, Version = "3", Status = PublicationStatus.Active, Content = CodeSystemContentMode.Complete,
            Concept = [new() { Code = "ICU", Display = "Intensive care unit" }, new() { Code = "ED", Display = "Emergency department" }],
        };
        await using (var first = Start(backend))
        {
            var client = first.CreateClient();
            await WaitUntilReady(first);
            var response = await client.PostAsync("/CodeSystem/$import",
                new StringContent(new FhirJsonSerializer().SerializeToString(cs), Encoding.UTF8, "application/fhir+json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await using var second = Start(backend);
        var again = second.CreateClient();
        await WaitUntilReady(second);
        var lookup = await again.GetAsync($"/CodeSystem/$lookup?system={System}&code=ED");
        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        var p = new FhirJsonDeserializer().Deserialize<Parameters>(await lookup.Content.ReadAsStringAsync())!;
        Assert.Equal("Emergency department", p.Parameter.Single(x => x.Name == "display").Value!.ToString());
        Assert.Equal("3", p.Parameter.Single(x => x.Name == "version").Value!.ToString());
    }
}

public sealed class TerminologyPersistenceSqliteTests : TerminologyPersistenceTests
{
    protected override Task<TestBackend> CreateBackendAsync() => Task.FromResult<TestBackend>(new SqliteTestBackend());
}

public sealed class TerminologyPersistencePostgresTests : TerminologyPersistenceTests
{
    protected override async Task<TestBackend> CreateBackendAsync()
    {
        var backend = new PostgresTestBackend();
        await backend.CreateAsync();
        return backend;
    }
}
