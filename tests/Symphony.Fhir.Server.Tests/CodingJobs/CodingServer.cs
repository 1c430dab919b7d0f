using Microsoft.AspNetCore.Mvc.Testing;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>The real server with its coding jobs over a fresh database of one backend, shared by a test class.</summary>
public abstract class CodingServerFixture : IAsyncLifetime
{
    TestBackend? _backend;
    WebApplicationFactory<Program>? _factory;

    public TestBackend Backend => _backend ?? throw new InvalidOperationException("The backend is not available.");

    public HttpClient Client => Factory.CreateClient();

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("The backend is not available.");

    protected abstract Task<TestBackend?> CreateBackendAsync();

    /// <summary>One shipped release (fewer coders to load), terminology endpoints idle, a quick sweep.</summary>
    public static Dictionary<string, string?> Settings(TestBackend backend, string role = "both") => new(backend.ServerSettings)
    {
        ["role"] = role,
        ["Coding:Icd10CmVersion"] = "2021",
        ["Coding:SweepInterval"] = "00:00:00.200",
        ["Terminology:LoadAtStartup"] = "false",
    };

    public static WebApplicationFactory<Program> Start(Dictionary<string, string?> settings) => InMemoryServer.Start(settings);

    protected virtual WebApplicationFactory<Program> StartServer(TestBackend backend) => Start(Settings(backend));

    public async Task InitializeAsync()
    {
        _backend = await CreateBackendAsync();
        if (_backend is not null) _factory = StartServer(_backend);
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        if (_backend is not null) await _backend.DisposeAsync();
    }
}

public sealed class SqliteCodingServerFixture : CodingServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresCodingServerFixture : CodingServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}
