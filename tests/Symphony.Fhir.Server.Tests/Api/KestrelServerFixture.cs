using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Api;

/// <summary>
/// The real server on Kestrel at a loopback port, over a fresh database of one backend, with the default limits except
/// those that would make a test slow or heavy. Kestrel, not the in-memory test server: Kestrel answers some bad
/// requests (long URLs, large headers, slow clients) before the application runs.
/// </summary>
public abstract class KestrelServerFixture : IAsyncLifetime
{
    /// <summary>Small, so that a test can go over it with a few megabytes.</summary>
    public const long MaxImportBytes = 1_000_000;

    /// <summary>Short, so that a client that never finishes its headers is let go within seconds.</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(2);

    private TestBackend? _backend;
    private WebApplicationFactory<Program>? _factory;

    public TestBackend Backend => _backend ?? throw new InvalidOperationException("The backend is not available.");

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("The server is not running.");

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A client of its own for each test; generous timeout, a hang fails the test's own time bound first.</summary>
    public HttpClient CreateClient() => new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) }.WithToken(Token);

    /// <summary>The test client's access token, for requests written by hand.</summary>
    public string Token { get; private set; } = null!;

    protected abstract Task<TestBackend?> CreateBackendAsync();

    public async Task InitializeAsync()
    {
        _backend = await CreateBackendAsync();
        if (_backend is null)
            return;
        var settings = new Dictionary<string, string?>(_backend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            ["Fhir:MaxImportBytes"] = MaxImportBytes.ToString(),
            ["Fhir:RequestHeadersTimeout"] = RequestHeadersTimeout.ToString(),
            ["urls"] = "http://127.0.0.1:0", // a free port, not Kestrel's default 5000 that another server may hold
        };
        _factory = InMemoryServer.Start(settings);
        _factory.UseKestrel(0);
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1") + "/");
        using var client = new HttpClient { BaseAddress = BaseAddress };
        Token = await TestAuth.TokenAsync(client);
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
            await _factory.DisposeAsync();
        if (_backend is not null)
            await _backend.DisposeAsync();
    }
}

public sealed class SqliteKestrelServerFixture : KestrelServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresKestrelServerFixture : KestrelServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}
