using Microsoft.AspNetCore.Mvc.Testing;

namespace Symphony.Fhir.Server.Tests.Infrastructure;

/// <summary>The real server (in memory) over a fresh database of one backend, shared by the tests of a class.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    /// <summary>Small enough that a test can exceed it cheaply, larger than any Synthea resource.</summary>
    public const int MaxBodyBytes = 1_000_000;

    private TestBackend? _backend;
    private WebApplicationFactory<Program>? _factory;

    /// <summary>The database the server was started on.</summary>
    public TestBackend Backend => _backend ?? throw new InvalidOperationException("The backend is not available.");

    public HttpClient Client => _factory is null
        ? throw new InvalidOperationException("The backend is not available.")
        : CreateClient(_factory);

    // With the test client's token, and a timeout for a busy machine (InMemoryServer's factory sets both).
    private static HttpClient CreateClient(WebApplicationFactory<Program> factory) => factory.CreateClient();

    protected abstract Task<TestBackend?> CreateBackendAsync();

    public async Task InitializeAsync()
    {
        _backend = await CreateBackendAsync();
        if (_backend is null)
            return;
        var settings = new Dictionary<string, string?>(_backend.ServerSettings)
        {
            ["Fhir:MaxBodyBytes"] = MaxBodyBytes.ToString(),
            // These tests are about the REST API: no coding worker and no terminology load
            // competing for the CPU while thousands of Synthea notes go in.
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
        };
        _factory = InMemoryServer.Start(settings);
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
            await _factory.DisposeAsync();
        if (_backend is not null)
            await _backend.DisposeAsync();
    }
}

public sealed class SqliteServerFixture : ServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresServerFixture : ServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}
