using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Symphony.Fhir.Server.Terminology;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Terminology;

/// <summary>The server with the shipped terminology imported into a fresh SQLite file at start, as in the embedded default.</summary>
public sealed class TerminologyServerFixture : IAsyncLifetime
{
    readonly string databasePath = Path.Combine(Path.GetTempPath(), $"symphony-term-api-{Guid.NewGuid():N}.db");
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = InMemoryServer.Start(new Dictionary<string, string?> { ["Storage:Provider"] = "sqlite", ["Storage:SqlitePath"] = databasePath });
        Client = Factory.CreateClient();
        var state = Factory.Services.GetRequiredKeyedService<Symphony.Fhir.Server.Health.Readiness>(TerminologyStartup.Part);
        for (var i = 0; i < 600 && !state.IsReady; i++) await Task.Delay(200);
        Assert.True(state.IsReady, "terminology did not load within 2 minutes");
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" }) File.Delete(file);
    }
}

public class TerminologyApiTests(TerminologyServerFixture server) : IClassFixture<TerminologyServerFixture>
{
    const string Cm = "http://hl7.org/fhir/sid/icd-10-cm";
    static readonly FhirJsonDeserializer Deserializer = new();

    async Task<(HttpStatusCode Status, T Resource)> Get<T>(string url) where T : Resource
    {
        var response = await server.Client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, Deserializer.Deserialize<T>(body)!);
    }

    static string? Value(Parameters p, string name) => p.Parameter.FirstOrDefault(x => x.Name == name)?.Value?.ToString();

    [Fact]
    public async Task GivenE11_22_WhenLookedUp_ThenDisplayAndParentE11_2_Are_returned()
    {
        var (status, p) = await Get<Parameters>($"/CodeSystem/$lookup?system={Cm}&code=E11.22");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Type 2 diabetes mellitus with diabetic chronic kidney disease", Value(p, "display"));
        var parent = p.Parameter.Single(x => x.Name == "property" && x.Part.Any(part => part.Name == "code" && part.Value?.ToString() == "parent"));
        Assert.Equal("E11.2", parent.Part.Single(part => part.Name == "value").Value?.ToString());
    }

    [Fact]
    public async Task GivenFY2021_WhenLookedUp_ThenTabularNotesComeAsProperties()
    {
        var (_, p) = await Get<Parameters>($"/CodeSystem/$lookup?system={Cm}&code=I10&version=2021");
        Assert.Equal("2021", Value(p, "version"));
        Assert.Contains(p.Parameter.Where(x => x.Name == "property"), x => x.Part[0].Value?.ToString() == "excludes1");
    }

    [Theory]
    [InlineData("S52.521A", true)]
    [InlineData("S52.521", false)]
    [InlineData("X99.99", false)]
    public async Task Validate_code_accepts_only_reportable_codes(string code, bool valid)
    {
        var (status, p) = await Get<Parameters>($"/CodeSystem/$validate-code?url={Cm}&code={code}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(valid ? "true" : "false", Value(p, "result"));
        Assert.False(string.IsNullOrEmpty(Value(p, "message")));
    }

    [Fact]
    public async Task Validate_code_by_POSTed_Parameters_with_a_coding()
    {
        var input = new Parameters();
        input.Add("coding", new Coding(Cm, "T81.40XA"));
        var response = await server.Client.PostAsync("/CodeSystem/$validate-code",
            new StringContent(new FhirJsonSerializer().SerializeToString(input), Encoding.UTF8, "application/fhir+json"));
        var p = Deserializer.Deserialize<Parameters>(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("true", Value(p, "result"));
    }

    [Fact]
    public async Task Expand_with_a_filter_finds_E11_22_in_the_first_five()
    {
        var (status, vs) = await Get<ValueSet>($"/ValueSet/$expand?url={Uri.EscapeDataString(Cm + "?fhir_vs")}&filter={Uri.EscapeDataString("type 2 diabetes kidney")}&count=10");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("E11.22", vs.Expansion!.Contains.Take(5).Select(c => c.Code));
        Assert.True(vs.Expansion.Total >= vs.Expansion.Contains.Count);
    }

    [Fact]
    public async Task Subsumes_answers_with_the_outcome_code()
    {
        var (_, p) = await Get<Parameters>($"/CodeSystem/$subsumes?system={Cm}&codeA=E11&codeB=E11.22");
        Assert.Equal("subsumes", Value(p, "outcome"));
    }

    [Theory]
    [InlineData("/CodeSystem/$lookup?system=http://example.org/unknown&code=A")]
    [InlineData("/CodeSystem/$validate-code?url=http://hl7.org/fhir/sid/icd-10-cm&code=E11.22&version=1999")]
    [InlineData("/ValueSet/$expand?url=http://example.org/vs/unknown")]
    public async Task Unknown_system_version_or_value_set_is_404_with_an_OperationOutcome(string url)
    {
        var (status, outcome) = await Get<OperationOutcome>(url);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(OperationOutcome.IssueType.NotFound, outcome.Issue[0].Code);
    }

    [Fact]
    public async Task Import_of_a_CodeSystem_makes_it_available_and_a_second_import_changes_nothing()
    {
        var cs = new CodeSystem
        {
            Url = "http://example.org/fhir/CodeSystem/site-procedures",
            Version = "1",
            Status = PublicationStatus.Active,
            Content = CodeSystemContentMode.Complete,
            Concept =
            [
                new CodeSystem.ConceptDefinitionComponent { Code = "SURG", Display = "Surgery", Concept = [new() { Code = "APPY", Display = "Appendectomy" }] },
            ],
        };
        var json = new FhirJsonSerializer().SerializeToString(cs);
        async Task<string?> Import()
        {
            var response = await server.Client.PostAsync("/CodeSystem/$import", new StringContent(json, Encoding.UTF8, "application/fhir+json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var p = Deserializer.Deserialize<Parameters>(await response.Content.ReadAsStringAsync())!;
            return p.Parameter.Single(x => x.Name == "outcome").Part.Single(x => x.Name == "status").Value?.ToString();
        }

        Assert.Equal("imported", await Import());
        Assert.Equal("unchanged", await Import());
        var (_, p) = await Get<Parameters>($"/CodeSystem/$subsumes?system={cs.Url}&codeA=SURG&codeB=APPY");
        Assert.Equal("subsumes", Value(p, "outcome"));
    }
}

public class TerminologyLoadingTests
{
    [Fact]
    public async Task While_terminology_is_loading_operations_answer_503_and_metadata_answers()
    {
        var path = Path.Combine(Path.GetTempPath(), $"symphony-term-loading-{Guid.NewGuid():N}.db");
        // Without the loader the terminology never becomes ready.
        await using var factory = InMemoryServer.Start(new Dictionary<string, string?> { ["Storage:SqlitePath"] = path }, builder =>
            builder.ConfigureTestServices(services => services.RemoveHostedService<TerminologyStartup>()));
        var client = factory.CreateClient();

        var response = await client.GetAsync("/CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&code=E11.22");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var outcome = new FhirJsonDeserializer().Deserialize<OperationOutcome>(await response.Content.ReadAsStringAsync());
        Assert.Equal("terminology is loading, retry in a few seconds", outcome!.Issue[0].Diagnostics);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metadata")).StatusCode);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
    }
}

static class ServiceCollectionTestExtensions
{
    /// <summary>
    /// Keeps a background service from running, however it was registered: by its type, or by a factory (as a service that is
    /// also a singleton others depend on is); the singleton itself stays, never started.
    /// </summary>
    public static void RemoveHostedService<T>(this IServiceCollection services) where T : IHostedService
    {
        foreach (var d in services.Where(d => d.ServiceType == typeof(IHostedService)).ToList())
        {
            if (d.ImplementationType == typeof(T))
                services.Remove(d);
            else if (d.ImplementationFactory is { } factory)
            {
                services.Remove(d);
                services.AddSingleton<IHostedService>(sp => factory(sp) is T ? new NotStarted() : (IHostedService)factory(sp));
            }
        }
    }

    sealed class NotStarted : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
