using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>The start-up warm-up runs the real paths on the embedded sample note and stores nothing.</summary>
public sealed class WarmUpTests
{
    [Fact]
    public async Task GivenTheEmbeddedSample_WhenTheApiAndAWorkerWarmUp_ThenTheSampleIsValidAndNothingIsStored()
    {
        await using var backend = new SqliteTestBackend();
        await using var server = CodingServerFixture.Start(CodingServerFixture.Settings(backend));
        var validator = server.Services.GetRequiredService<ResourceValidator>();

        validator.WarmUp(rounds: 2);
        server.Services.GetRequiredService<CodingPipeline>().WarmUp(rounds: 2);

        foreach (var sample in new Hl7.Fhir.Model.Resource[] { SampleResources.Load<Hl7.Fhir.Model.Encounter>(), SampleResources.Load<Hl7.Fhir.Model.DocumentReference>() })
            Assert.False(ResourceValidator.HasErrors(validator.Validate(sample)), sample.TypeName);
        var stored = await server.Services.GetRequiredService<IResourceStore>().HistoryAsync(new HistoryQuery());
        Assert.Equal(0, stored.Total);
    }
}
