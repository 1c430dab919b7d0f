using System.Text;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>
/// Two hosts in one process each queue and run their coding jobs in their own job storage, although Hangfire's
/// configuration (JobStorage.Current, JobActivator.Current) is static and shared by both.
/// </summary>
public sealed class PostgresBesideSqliteJobStorageTests
{
    [BackendFact]
    public async Task GivenAnotherHostStartsWhileAHostConfiguresHangfire_WhenEachIsSentANote_ThenEachQueuesAndCodesItInItsOwnStorage()
    {
        await using var sqlite = new SqliteTestBackend();
        await using var postgres = new PostgresTestBackend();
        await postgres.CreateAsync();
        await using var other = CodingServerFixture.Start(CodingServerFixture.Settings(sqlite));
        // The race that mixed two hosts' storages up, made certain: the other host configures Hangfire (the statics)
        // after this one did and before this one has taken its storage, client and server.
        await using var host = InMemoryServer.Start(CodingServerFixture.Settings(postgres),
            builder => builder.ConfigureTestServices(services => AfterHangfireIsConfigured(services, () => _ = other.Services)));

        var storage = host.Services.GetRequiredService<JobStorage>();
        var otherStorage = other.Services.GetRequiredService<JobStorage>();

        Assert.IsType<PostgreSqlStorage>(storage);
        Assert.IsType<InMemoryStorage>(otherStorage);
        Assert.Same(storage, ((IBackgroundJobClientV2)host.Services.GetRequiredService<IBackgroundJobClient>()).Storage);
        Assert.Same(otherStorage, ((IBackgroundJobClientV2)other.Services.GetRequiredService<IBackgroundJobClient>()).Storage);
        await WaitAsync(() => Task.FromResult(storage.GetMonitoringApi().Servers().Count > 0 && otherStorage.GetMonitoringApi().Servers().Count > 0));
        Assert.Single(storage.GetMonitoringApi().Servers()); // each host's Hangfire server works on its own storage
        Assert.Single(otherStorage.GetMonitoringApi().Servers());
        var coded = await Task.WhenAll(CodeANoteAsync(host), CodeANoteAsync(other)); // and runs the jobs with its own services
        Assert.All(coded, status => Assert.Equal(CodingRequestStatus.Done, status));
    }

    /// <summary>Runs <paramref name="then"/> right after the host's Hangfire configuration callback.</summary>
    static void AfterHangfireIsConfigured(IServiceCollection services, Action then)
    {
        var configuration = services.Single(d => d.ServiceType == typeof(IGlobalConfiguration));
        services.Remove(configuration);
        services.AddSingleton(sp =>
        {
            var configured = (IGlobalConfiguration)configuration.ImplementationFactory!(sp);
            then();
            return configured;
        });
    }

    /// <summary>Stores a Synthea note with its patient and encounter, and waits for its coding request to finish.</summary>
    static async Task<string> CodeANoteAsync(WebApplicationFactory<Program> server)
    {
        using var client = server.CreateClient();
        var note = SyntheaNote.Load("outpatient");
        foreach (var resource in new Resource[] { note.Patient, note.Encounter, note.Document })
        {
            var body = new StringContent(new FhirJsonSerializer().SerializeToString(resource), Encoding.UTF8, "application/fhir+json");
            var response = await client.PutAsync($"/{resource.TypeName}/{resource.Id}", body);
            Assert.True(response.IsSuccessStatusCode, $"{resource.TypeName}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var requests = server.Services.GetRequiredService<CodingRequests>();
        var id = CodingRequests.IdFor("DocumentReference", note.Document.Id!);
        CodingRequest? request = null;
        await WaitAsync(async () => (request = await requests.GetAsync(id, default))?.Status is CodingRequestStatus.Done or CodingRequestStatus.Failed,
            () => $"the note sent to the host on {server.Services.GetRequiredService<JobStorage>().GetType().Name} was not coded: {request}");
        return request!.Status;
    }

    static async Task WaitAsync(Func<Task<bool>> condition, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(240); // two coders load side by side before the first notes
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail("timed out; " + describe?.Invoke());
            await Task.Delay(100);
        }
    }
}
