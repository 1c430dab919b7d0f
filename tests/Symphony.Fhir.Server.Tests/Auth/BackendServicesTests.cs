using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary>
/// The built-in authorisation server as SMART Backend Services clients use it: a client assertion signed with the
/// client's RS384 or ES384 key (built here), exchanged for a token the FHIR API accepts; replays and long-lived
/// assertions refused. Also the client-secret clients, discovery and the admin client of a first start.
/// </summary>
public abstract class BackendServicesTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : AuthServerFixture
{
    const string TokenEndpoint = "http://localhost/auth/token";

    internal static string Assertion(string clientId, SecurityKey key, string algorithm, TimeSpan? lifetime = null, string? jti = null)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = TokenEndpoint,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(4)),
            Subject = new ClaimsIdentity([new Claim("sub", clientId), new Claim("jti", jti ?? Guid.NewGuid().ToString())]),
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    internal static async Task<(HttpStatusCode Status, JsonElement Body)> ExchangeAsync(HttpClient client, string assertion, string scope = "system/Patient.rs")
    {
        var response = await client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["scope"] = scope,
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion,
        }));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    SecurityKey RsaKey => new RsaSecurityKey(fixture.RsaKey) { KeyId = "rsa-1" };

    SecurityKey EcKey => new ECDsaSecurityKey(fixture.EcKey) { KeyId = "ec-1" };

    [BackendFact]
    public async Task GivenAnRs384ClientAssertion_WhenExchanged_ThenTheTokenReadsTheFhirApi()
    {
        using var client = fixture.Anonymous();
        var (status, body) = await ExchangeAsync(client, Assertion(AuthServerFixture.RsaClient, RsaKey, SecurityAlgorithms.RsaSha384));

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        var token = new JsonWebToken(body.GetProperty("access_token").GetString()!); // a JWT any tool can read
        Assert.Equal("system/Patient.rs", token.GetClaim("scope").Value);
        Assert.Equal(AuthServerFixture.RsaClient, token.Subject);
        client.WithToken(token.EncodedToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Patient?_count=1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/Observation?_count=1")).StatusCode);
    }

    [BackendFact]
    public async Task GivenAnEs384ClientAssertion_WhenExchanged_ThenTheTokenReadsTheFhirApi()
    {
        using var client = fixture.Anonymous();
        var (status, body) = await ExchangeAsync(client, Assertion(AuthServerFixture.EcClient, EcKey, SecurityAlgorithms.EcdsaSha384));

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        client.WithToken(body.GetProperty("access_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Patient?_count=1")).StatusCode);
    }

    [BackendFact]
    public async Task GivenAClientAssertionAlreadyUsed_WhenSentAgain_ThenItIsRefusedAsInvalidClient()
    {
        using var client = fixture.Anonymous();
        var assertion = Assertion(AuthServerFixture.RsaClient, RsaKey, SecurityAlgorithms.RsaSha384);
        var (first, _) = await ExchangeAsync(client, assertion);
        var (again, body) = await ExchangeAsync(client, assertion);

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.NotEqual(HttpStatusCode.OK, again);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenAClientAssertionValidForMoreThanFiveMinutes_WhenExchanged_ThenItIsRefused()
    {
        using var client = fixture.Anonymous();
        var (status, body) = await ExchangeAsync(client, Assertion(AuthServerFixture.EcClient, EcKey, SecurityAlgorithms.EcdsaSha384, TimeSpan.FromMinutes(30)));

        Assert.NotEqual(HttpStatusCode.OK, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenAnAssertionSignedWithAnotherClientsKey_WhenExchanged_ThenItIsRefused()
    {
        using var client = fixture.Anonymous();
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var (status, body) = await ExchangeAsync(client, Assertion(AuthServerFixture.EcClient, new ECDsaSecurityKey(stranger) { KeyId = "ec-1" }, SecurityAlgorithms.EcdsaSha384));

        Assert.NotEqual(HttpStatusCode.OK, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenAScopeTheClientIsNotRegisteredFor_WhenAskedFor_ThenInvalidScope()
    {
        using var client = fixture.Anonymous();
        var (status, body) = await ExchangeAsync(client, Assertion(AuthServerFixture.RsaClient, RsaKey, SecurityAlgorithms.RsaSha384), "system/Patient.cruds");

        Assert.NotEqual(HttpStatusCode.OK, status);
        Assert.Equal("invalid_scope", body.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenAWrongClientSecret_WhenATokenIsAsked_ThenInvalidClient()
    {
        using var client = fixture.Anonymous();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => TestAuth.TokenAsync(client, TestAuth.ClientId, "not-the-secret"));
        Assert.Contains("invalid_client", failure.Message);
        Assert.DoesNotContain("not-the-secret", failure.Message);
    }

    [BackendFact]
    public async Task GivenTheDiscoveryDocuments_WhenRead_ThenTheyNameEndpointsThatWork()
    {
        using var client = fixture.Anonymous();
        var smart = JsonDocument.Parse(await client.GetStringAsync("/.well-known/smart-configuration")).RootElement;
        Assert.Equal("http://localhost/", smart.GetProperty("issuer").GetString());
        Assert.Equal(["authorization_code", "client_credentials", "refresh_token"], smart.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("private_key_jwt", smart.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("permission-v2", smart.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));

        var jwks = JsonDocument.Parse(await client.GetStringAsync(smart.GetProperty("jwks_uri").GetString())).RootElement;
        Assert.Contains(jwks.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kid").GetString() == fixture.ServerKey.KeyId);
        var token = await client.PostAsync(smart.GetProperty("token_endpoint").GetString(), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = TestAuth.ClientId, ["client_secret"] = TestAuth.Secret,
        }));
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);

        var metadata = await client.GetStringAsync("/metadata");
        Assert.Contains("\"code\":\"SMART-on-FHIR\"", metadata);
        Assert.Contains("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris", metadata);
        Assert.Contains("\"valueUri\":\"http://localhost/auth/token\"", metadata);
        Assert.Contains("\"valueUri\":\"http://localhost/auth/authorize\"", metadata);
    }

    [BackendFact]
    public async Task GivenAFirstStart_WhenTheServerRuns_ThenAnAdminClientFileReadableByItsOwnerOnlyGivesAWorkingToken()
    {
        var file = fixture.Factory.Services.GetServices<IHostedService>().OfType<AdminClient>().Single().FilePath;
        for (var i = 0; i < 600 && !File.Exists(file); i++)
            await Task.Delay(100);

        var admin = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal("http://localhost/auth/token", admin.GetProperty("token_endpoint").GetString());
        using var client = fixture.Anonymous();
        client.WithToken(await TestAuth.TokenAsync(client, admin.GetProperty("client_id").GetString()!, admin.GetProperty("client_secret").GetString()!));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Patient?_count=1")).StatusCode);
    }
}

public sealed class SqliteBackendServicesTests(SqliteAuthServerFixture fixture) : BackendServicesTests<SqliteAuthServerFixture>(fixture);

public sealed class PostgresBackendServicesTests(PostgresAuthServerFixture fixture) : BackendServicesTests<PostgresAuthServerFixture>(fixture);
