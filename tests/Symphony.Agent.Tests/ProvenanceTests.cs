extern alias server;
using Hl7.Fhir.Model;
using server::Symphony.Fhir.Server.CodingJobs;
using Symphony.Cli.Agent;
using Symphony.Coders;
using Symphony.Coders.Agent;

namespace Symphony.Agent.Tests;

/// <summary>What the write-back records about the path: the Device names the model, the Provenance activity the run.</summary>
[Collection(AgentCollection.Name)]
public sealed class ProvenanceTests(CoderFixture fixture)
{
    static readonly CodingOptions Inpatient = new() { Setting = CareSetting.Inpatient };

    static IReadOnlyList<Resource> WriteBack(AgentCodingResult coded) => server::Symphony.Fhir.Server.CodingJobs.WriteBack.Map(new WriteBackInput(
        new DocumentReference { Id = "note-1", Meta = new Meta { VersionId = "2" }, Subject = new ResourceReference("Patient/p1") },
        new Encounter { Id = "enc-1", Status = Encounter.EncounterStatus.Finished, Class = new Hl7.Fhir.Model.Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"), Subject = new ResourceReference("Patient/p1") },
        new ResourceReference("Patient/p1"), null, coded.Result, new CodeSystemVersions("2021", "2026"),
        AgentCoding.IdentityOf(coded.Run), DateTimeOffset.UnixEpoch));

    [Fact]
    public async System.Threading.Tasks.Task GivenAnAgentRun_WhenWrittenBack_ThenTheDeviceNamesTheModelAndEachProvenanceRecordsTheTokens()
    {
        await using var llm = await ScriptedChatServer.StartAsync(Fixtures.Script("correct-run.json"));
        using var agent = new AgentCoder(fixture.Coder, Fixtures.Options(llm.Endpoint));
        var coded = await agent.CodeAsync(Fixtures.Note, Inpatient, CodingMode.Agent);
        Assert.True(coded.Run.FallbackReason is null, coded.Run.FallbackReason);

        var written = WriteBack(coded);

        var device = Assert.Single(written.OfType<Device>());
        Assert.Equal("Symphony agent coder, model test", device.DeviceName[0].Name);
        Assert.Contains(device.Version, v => v.Value == "agent:test");
        var provenances = written.OfType<Provenance>().ToList();
        Assert.Equal(coded.Result.Codes.Count + 1, provenances.Count); // one per Condition, one for the Claim
        Assert.All(provenances, p => Assert.Contains("4500 prompt + 195 completion tokens", p.Activity?.Text));
        Assert.All(provenances, p => Assert.Equal($"Device/{device.Id}", p.Agent[0].Who.Reference));
    }

    [Fact]
    public async System.Threading.Tasks.Task GivenAFallback_WhenWrittenBack_ThenTheProvenanceSaysTheEmbeddedCoderAnsweredAndWhy()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var agent = new AgentCoder(fixture.Coder, Fixtures.Options(new Uri($"http://127.0.0.1:{port}/v1")));
        var coded = await agent.CodeAsync(Fixtures.Note, Inpatient, CodingMode.Agent);

        var written = WriteBack(coded);

        var device = Assert.Single(written.OfType<Device>());
        Assert.Equal("Symphony embedded coder", device.DeviceName[0].Name);
        Assert.Contains(device.Version, v => v.Value == "embedded (agent fallback)");
        Assert.All(written.OfType<Provenance>(), p => Assert.Contains("fell back to the embedded coder: cannot reach the model endpoint", p.Activity?.Text));
    }
}
