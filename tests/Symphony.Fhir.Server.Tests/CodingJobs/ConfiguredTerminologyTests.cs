using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Mvc.Testing;
using Symphony.Fhir.Server.Tests.Infrastructure;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>
/// Stored notes and inline text coded with what the configuration names (Coding:Systems, Coding:ValueSet) or the request
/// names, by a process that serves the terminology and by a worker that serves none.
/// </summary>
public sealed class ConfiguredTerminologyTests
{
    const string ProblemList = "http://example.org/fhir/CodeSystem/problem-list";
    const string Problems = "http://example.org/fhir/ValueSet/problems";
    const string Note = "Essential hypertension. Asthma. Adult-onset diabetes. No heart failure.";
    static readonly FhirJsonDeserializer Json = new();

    [Theory]
    [InlineData("both")]
    [InlineData("api+worker")]
    public async Task GivenASystemAndValueSetConfigured_WhenANoteIsStored_ThenItsConditionsAreTheValueSetsCodesOfThatSystem_AndTheTaskNamesTheVersion(string roles)
    {
        await using var backend = new SqliteTestBackend();
        await using var servers = Servers.Start(backend, roles, configured: true);
        await ImportProblemListAsync(servers.Api);

        await PutNoteAsync(servers.Coding, "configured-note", Note);
        var task = await servers.Coding.WaitForTaskAsync("configured-note", Finished);

        Assert.Equal(FhirTask.TaskStatus.Completed, task.Status);
        var conditions = await servers.Coding.SearchAsync<Condition>("Condition?encounter=Encounter/enc-configured-note");
        Assert.Equal(["ASTHMA", "HTN"], conditions.Select(c => c.Code!.Coding[0].Code).Order());
        Assert.All(conditions, c => Assert.Equal((ProblemList, "1"), (c.Code!.Coding[0].System, c.Code.Coding[0].Version)));
        Assert.Contains(task.Note, n => n.Text == $"Coded with {ProblemList} 1.");
    }

    [Fact]
    public async Task GivenAConfiguredSystemTheServerDoesNotHold_WhenANoteIsStored_ThenItsTaskFailsSayingHowToLoadIt()
    {
        await using var backend = new SqliteTestBackend();
        await using var servers = Servers.Start(backend, "both", configured: true);

        await PutNoteAsync(servers.Coding, "unloaded-note", Note);
        var task = await servers.Coding.WaitForTaskAsync("unloaded-note", Finished);

        Assert.Equal(FhirTask.TaskStatus.Failed, task.Status);
        Assert.Contains(ProblemList, task.StatusReason?.Text);
        Assert.Contains("$import", task.StatusReason?.Text);
    }

    [Theory]
    [InlineData("both")]
    [InlineData("api+worker")]
    public async Task GivenInlineTextSentAsynchronouslyWithASystemAndValueSet_WhenTheJobCodesIt_ThenTheAnswerHoldsOnlyTheValueSetsCodes(string roles)
    {
        await using var backend = new SqliteTestBackend();
        await using var servers = Servers.Start(backend, roles, configured: false);
        await ImportProblemListAsync(servers.Api);
        var input = new Parameters().Add("text", new FhirString(Note)).Add("system", new FhirUri(ProblemList)).Add("valueSet", new Canonical(Problems));
        var request = new HttpRequestMessage(HttpMethod.Post, "/$code") { Content = CodingTestClient.Body(input) };
        request.Headers.Add("Prefer", "respond-async");

        var accepted = await servers.Api.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        HttpResponseMessage? done = null;
        await CodingTestClient.WaitAsync(async () => (done = await servers.Api.GetAsync(accepted.Content.Headers.ContentLocation)).StatusCode == HttpStatusCode.OK);
        var answer = Json.Deserialize<Parameters>(await done!.Content.ReadAsStringAsync());

        var codes = answer.Parameter.Where(p => p.Name == "code").Select(p => (Coding)p.Part[0].Value!).ToList();
        Assert.Equal(["ASTHMA", "HTN"], codes.Select(c => c.Code).Order());
        Assert.Contains(answer.Parameter, p => p.Name == "rejected" && ((Coding)p.Part[0].Value!).Code == "DM2"
            && ((FhirString)p.Part.First(x => x.Name == "reason").Value!).Value == $"not in ValueSet {Problems}|2");
    }

    [Fact]
    public async Task GivenInlineTextSentAsynchronouslyWithAValueSetTheServerDoesNotHold_WhenPosted_Then422SaysHowToLoadIt()
    {
        await using var backend = new SqliteTestBackend();
        await using var servers = Servers.Start(backend, "both", configured: false);
        var input = new Parameters().Add("text", new FhirString(Note)).Add("valueSet", new Canonical("http://example.org/unknown-set"));
        var request = new HttpRequestMessage(HttpMethod.Post, "/$code") { Content = CodingTestClient.Body(input) };
        request.Headers.Add("Prefer", "respond-async");

        var response = await servers.Api.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("$import", await response.Content.ReadAsStringAsync());
    }

    /// <summary>One process in both roles, or an api and a worker over the same database.</summary>
    sealed class Servers(WebApplicationFactory<Program> api, WebApplicationFactory<Program>? worker) : IAsyncDisposable
    {
        public HttpClient Api { get; } = api.CreateClient();

        public CodingTestClient Coding => new(Api, api.Services);

        public static Servers Start(TestBackend backend, string roles, bool configured)
        {
            Dictionary<string, string?> Settings(string role)
            {
                var settings = CodingServerFixture.Settings(backend, role);
                if (configured)
                {
                    settings["Coding:Systems:0"] = ProblemList;
                    settings["Coding:ValueSet"] = Problems;
                }
                settings["Terminology:RefreshInterval"] = "00:00:00.200";
                return settings;
            }
            if (roles == "both") return new Servers(CodingServerFixture.Start(Settings("both")), null);
            var worker = CodingServerFixture.Start(Settings("worker"));
            _ = worker.Services; // a factory starts its host when first used: the worker has no client to be used through
            return new Servers(CodingServerFixture.Start(Settings("api")), worker);
        }

        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            if (worker is not null) await worker.DisposeAsync();
            await api.DisposeAsync();
        }
    }

    static async Task ImportProblemListAsync(HttpClient http)
    {
        await ImportAsync(http, File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "Symphony.Coders.Tests", "fixtures", "fhir", "CodeSystem-problem-list.json")));
        await ImportAsync(http, $$$"""
            {"resourceType":"ValueSet","url":"{{{Problems}}}","version":"2","status":"active",
             "compose":{"include":[{"system":"{{{ProblemList}}}","concept":[{"code":"HTN"},{"code":"ASTHMA"}]}]}}
            """);
    }

    static async Task ImportAsync(HttpClient http, string json)
    {
        var response = await http.PostAsync("/CodeSystem/$import", new StringContent(json, Encoding.UTF8, "application/fhir+json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    static bool Finished(FhirTask.TaskStatus? status) => status is FhirTask.TaskStatus.Completed or FhirTask.TaskStatus.Failed;

    static async Task PutNoteAsync(CodingTestClient coding, string id, string text)
    {
        var note = SyntheaNote.Load("outpatient");
        note.Document.Id = id;
        note.Document.Content[0].Attachment.Data = Encoding.UTF8.GetBytes(text);
        note.Encounter.Id = "enc-" + id;
        note.Document.Context!.Encounter[0].Reference = $"Encounter/{note.Encounter.Id}";
        await coding.PutAsync(note.Patient, note.Encounter, note.Document);
    }
}
