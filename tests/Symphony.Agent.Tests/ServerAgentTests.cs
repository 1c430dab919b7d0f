extern alias server;
using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.Tests.Infrastructure;
using server::Symphony.Fhir.Server.CodingJobs;
using Symphony.Cli.Agent;
using Symphony.Coders.Agent;

namespace Symphony.Agent.Tests;

/// <summary>The server's <c>$code</c> with a <c>mode</c> parameter, coding through the scripted model endpoint.</summary>
public sealed class ServerAgentTests : IDisposable
{
    readonly string _database = Path.Combine(Path.GetTempPath(), $"symphony-agent-{Guid.NewGuid():N}.db");

    WebApplicationFactory<server::Program> Start(Uri endpoint, bool loopbackOnly = true) =>
        // UseSetting, not ConfigureAppConfiguration: the server's Program reads its store and role before Build.
        new AuthenticatedFactory<server::Program>().WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in new Dictionary<string, string?>(TestAuth.Settings)
            {
                ["role"] = "api",
                ["Storage:Provider"] = "sqlite",
                ["Storage:SqlitePath"] = _database,
                ["Coding:Icd10CmVersion"] = "2021",
                ["Terminology:LoadAtStartup"] = "false",
                ["Coding:Llm:Endpoint"] = endpoint.ToString(),
                ["Coding:Llm:Model"] = "test",
                ["Coding:Llm:TimeoutSeconds"] = "180",
                ["Coding:Llm:LoopbackOnly"] = loopbackOnly ? "true" : "false",
            })
                builder.UseSetting(key, value);
        });

    static StringContent Body(Resource resource) => new(new FhirJsonSerializer().SerializeToString(resource), Encoding.UTF8, "application/fhir+json");

    [Fact]
    public async System.Threading.Tasks.Task GivenModeAgent_WhenCodePostsText_ThenTheAnswerHasGuardedCodesAndTheModelRun()
    {
        await using var llm = await ScriptedChatServer.StartAsync(Fixtures.Script("correct-run.json"));
        await using var server = Start(llm.Endpoint);
        var input = new Parameters();
        input.Add("text", new FhirString(Fixtures.Note));
        input.Add("setting", new Code("inpatient"));
        input.Add("mode", new Code("agent"));

        var response = await server.CreateClient().PostAsync("/$code", Body(input));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(llm.Violations.Count == 0, string.Join("\n", llm.Violations));
        var answer = new FhirJsonDeserializer().Deserialize<Parameters>(await response.Content.ReadAsStringAsync());
        var codes = answer.Parameter.Where(p => p.Name == "code").Select(p => ((Hl7.Fhir.Model.Coding)p.Part[0].Value!).Code).ToList();
        Assert.Equal(["J18.9", "E11.9", "I10"], codes);
        var span = answer.Parameter.First(p => p.Name == "code").Part.First(p => p.Name == "span");
        Assert.Equal(Fixtures.Note.IndexOf("community-acquired pneumonia", StringComparison.Ordinal), ((Integer)span.Part.Single(p => p.Name == "offset").Value!).Value);
        var run = answer.Parameter.Single(p => p.Name == "coder").Part.ToDictionary(p => p.Name!, p => p.Value!.ToString()!);
        Assert.Equal("agent", run["path"]);
        Assert.Equal("test", run["model"]);
        Assert.Equal("4500", run["promptTokens"]);
        Assert.Equal("195", run["completionTokens"]);
        Assert.False(run.ContainsKey("fallback"));
    }

    [Fact]
    public async System.Threading.Tasks.Task GivenAStoredNote_WhenItsCodeOperationAsksForModeAgent_ThenTheModelCodesItAndTheRequestRemembersTheMode()
    {
        await using var llm = await ScriptedChatServer.StartAsync(Fixtures.Script("correct-run.json"));
        await using var server = Start(llm.Endpoint);
        var client = server.CreateClient();
        Resource[] stored =
        [
            new Patient { Id = "agent-patient" },
            new Encounter
            {
                Id = "agent-encounter", Status = Encounter.EncounterStatus.Finished,
                Class = new Hl7.Fhir.Model.Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
                Subject = new ResourceReference("Patient/agent-patient"), Period = new Period { Start = "2021-03-01" },
            },
            new DocumentReference
            {
                Id = "agent-note", Status = DocumentReferenceStatus.Current, Subject = new ResourceReference("Patient/agent-patient"),
                Context = new DocumentReference.ContextComponent { Encounter = [new ResourceReference("Encounter/agent-encounter")] },
                Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Data = Encoding.UTF8.GetBytes(Fixtures.Note) } }],
            },
        ];
        foreach (var resource in stored)
            Assert.True((await client.PutAsync($"/{resource.TypeName}/{resource.Id}", Body(resource))).IsSuccessStatusCode);
        var input = new Parameters();
        input.Add("mode", new Code("agent"));

        var response = await client.PostAsync("/DocumentReference/agent-note/$code", Body(input));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var answer = new FhirJsonDeserializer().Deserialize<Parameters>(body);
        var run = answer.Parameter.Single(p => p.Name == "coder").Part.ToDictionary(p => p.Name!, p => p.Value!.ToString()!);
        Assert.Equal("agent", run["path"]);
        Assert.NotEmpty(llm.Requests);
        var request = await server.Services.GetRequiredService<CodingRequests>().GetAsync(CodingRequests.IdFor("DocumentReference", "agent-note"), default);
        Assert.Equal("agent", request!.Mode);
    }

    [Fact]
    public async System.Threading.Tasks.Task GivenAnUnknownMode_WhenCodeIsCalled_ThenItIs400()
    {
        await using var llm = await ScriptedChatServer.StartAsync(new ChatScript());
        await using var server = Start(llm.Endpoint);
        var input = new Parameters();
        input.Add("text", new FhirString(Fixtures.Note));
        input.Add("mode", new Code("oracle"));

        var response = await server.CreateClient().PostAsync("/$code", Body(input));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Unknown coding mode 'oracle'", await response.Content.ReadAsStringAsync());
        Assert.Empty(llm.Requests);
    }

    [Fact]
    public void GivenLoopbackOnly_WhenTheConfiguredEndpointIsRemote_ThenTheServerDoesNotStart()
    {
        using var server = Start(new Uri("https://api.openai.com/v1"));

        var error = Assert.Throws<LlmConfigurationException>(() => server.CreateClient());
        Assert.Contains("not a loopback address", error.Message);
    }

    public void Dispose()
    {
        foreach (var file in new[] { _database, _database + "-wal", _database + "-shm" })
            if (File.Exists(file)) File.Delete(file);
    }
}
