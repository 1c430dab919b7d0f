using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Symphony.Fhir.Server.Tests.Terminology;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>A worker whose Hangfire server runs no jobs — what a job server stuck after a database outage looks like from here.</summary>
public sealed class SqliteServerWithoutJobServerFixture : CodingServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());

    protected override WebApplicationFactory<Program> StartServer(TestBackend backend) =>
        InMemoryServer.Start(Settings(backend), builder => builder.ConfigureTestServices(services =>
            services.RemoveHostedService<CodingJobServer>()));
}

/// <summary>Coding does not depend on Hangfire's own recovery alone: requests nobody drains are drained by the sweeper.</summary>
public sealed class SqliteSweeperFallbackTests(SqliteServerWithoutJobServerFixture fixture) : IClassFixture<SqliteServerWithoutJobServerFixture>
{
    [Fact]
    public async Task GivenAWorkerWhoseJobServerRunsNoJobs_WhenANoteArrives_ThenTheSweeperCodesItItself()
    {
        var note = SyntheaNote.Load("outpatient");
        var coding = new CodingTestClient(fixture);

        await coding.PutAsync(note.Patient, note.Encounter, note.Document);

        var task = await coding.WaitForTaskAsync(note.Document.Id!, status => status == FhirTask.TaskStatus.Completed);
        Assert.Equal(FhirTask.TaskStatus.Completed, task.Status);
        Assert.NotEmpty(await coding.SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}"));
    }
}
