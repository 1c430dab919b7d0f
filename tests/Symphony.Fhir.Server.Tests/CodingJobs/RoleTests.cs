using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>A worker process codes notes and nothing else of the api's: no terminology loaded or served.</summary>
public sealed class RoleTests
{
    [Theory]
    [InlineData("worker", "CodeSystem/$lookup is not known")] // no such route
    [InlineData("api", "Code system http://hl7.org/fhir/sid/icd-10-cm is not known")] // the operation ran (nothing is loaded here)
    public async Task GivenARole_WhenTheTerminologyIsAskedFor_ThenOnlyAProcessServingTheApiRunsTheOperation(string role, string answer)
    {
        await using var backend = new SqliteTestBackend();
        await using var server = CodingServerFixture.Start(CodingServerFixture.Settings(backend, role)); // Terminology:LoadAtStartup=false
        using var client = server.CreateClient();

        var response = await client.GetAsync("/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=I10");

        Assert.Contains(answer, await response.Content.ReadAsStringAsync());
    }
}
