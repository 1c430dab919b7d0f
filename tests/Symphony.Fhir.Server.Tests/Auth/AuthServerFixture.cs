using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary>
/// The real server over a fresh database of one backend, with clients of every kind registered by configuration:
/// the test client (every scope), one with a narrow scope, one with patient/ scopes, and two SMART Backend Services
/// clients whose RS384 and ES384 keys the tests hold.
/// </summary>
public abstract class AuthServerFixture : IAsyncLifetime
{
    public const string NarrowClient = "narrow-client";
    public const string NarrowScopes = "system/Observation.rs";
    public const string PatientClient = "patient-client";
    public const string RsaClient = "backend-rs384";
    public const string EcClient = "backend-es384";
    public const string Secret = "another-test-secret";

    TestBackend? _backend;
    WebApplicationFactory<Program>? _factory;

    public RSA RsaKey { get; } = RSA.Create(2048);

    public ECDsa EcKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP384);

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("The backend is not available.");

    /// <summary>A client with no token.</summary>
    public HttpClient Anonymous() => Factory.Server.CreateClient();

    /// <summary>A client with the test client's token (every scope).</summary>
    public HttpClient Client => Factory.CreateClient();

    /// <summary>The server's own signing key, to make tokens that differ from good ones in one claim only.</summary>
    public RsaSecurityKey ServerKey => Factory.Services.GetRequiredService<AuthKeys>().Signing;

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
        };
        void Client(int index, string id, string scopes, string credential, string value)
        {
            settings[$"Auth:Clients:{index}:ClientId"] = id;
            settings[$"Auth:Clients:{index}:Scopes"] = scopes;
            settings[$"Auth:Clients:{index}:{credential}"] = value;
        }
        Client(1, NarrowClient, NarrowScopes, "Secret", Secret);
        Client(2, PatientClient, "patient/*.rs", "Secret", Secret);
        Client(3, RsaClient, "system/*.rs", "Jwks", Jwks.Of(RsaKey, "rsa-1"));
        Client(4, EcClient, "system/*.rs", "Jwks", Jwks.Of(EcKey, "ec-1"));
        _factory = InMemoryServer.Start(settings);
        _ = Factory.Server; // started, so that Services holds the running host's
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
            await _factory.DisposeAsync();
        if (_backend is not null)
            await _backend.DisposeAsync();
        RsaKey.Dispose();
        EcKey.Dispose();
    }
}

public sealed class SqliteAuthServerFixture : AuthServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresAuthServerFixture : AuthServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}

/// <summary>Public JSON Web Key Sets, written as a client would publish them.</summary>
public static class Jwks
{
    public static string Of(RSA key, string kid)
    {
        var p = key.ExportParameters(false);
        return $$"""{"keys":[{"kty":"RSA","kid":"{{kid}}","alg":"RS384","use":"sig","n":"{{Base64UrlEncoder.Encode(p.Modulus)}}","e":"{{Base64UrlEncoder.Encode(p.Exponent)}}"}]}""";
    }

    public static string Of(ECDsa key, string kid)
    {
        var p = key.ExportParameters(false);
        return $$"""{"keys":[{"kty":"EC","kid":"{{kid}}","alg":"ES384","use":"sig","crv":"P-384","x":"{{Base64UrlEncoder.Encode(p.Q.X)}}","y":"{{Base64UrlEncoder.Encode(p.Q.Y)}}"}]}""";
    }
}
