using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary>
/// <c>Auth:Authority</c>: a server that trusts another issuer finds its keys by OIDC discovery. The issuer here is a second
/// server's built-in authorisation server on a loopback port, as Keycloak or an EHR's would be.
/// </summary>
public sealed class ExternalIssuerTests
{
    [Fact]
    public async Task GivenAServerTrustingAnExternalIssuer_WhenAskedWithThatIssuersToken_ThenItAnswersAndWithoutOneItRefuses()
    {
        await using var issuerBackend = new SqliteTestBackend();
        await using var issuer = InMemoryServer.Start(new Dictionary<string, string?>(issuerBackend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            ["urls"] = "http://127.0.0.1:0", // a free port, not Kestrel's default 5000 that another server may hold
        });
        issuer.UseKestrel(0);
        issuer.StartServer();
        var issuerUrl = issuer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
            .Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1");
        using var issuerClient = new HttpClient { BaseAddress = new Uri(issuerUrl + "/") };
        var token = await TestAuth.TokenAsync(issuerClient, scope: "system/Patient.rs");

        await using var backend = new SqliteTestBackend();
        await using var server = InMemoryServer.Start(new Dictionary<string, string?>(backend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            ["Auth:Authority"] = issuerUrl,
            // Both behind one name: the audience the issuer wrote is the FHIR base URL this server answers for.
            ["Auth:BaseUrl"] = issuerUrl,
        });
        using var client = server.Server.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/Patient?_count=1")).StatusCode);
        client.WithToken(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Patient?_count=1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/Observation?_count=1")).StatusCode);
        var smart = JsonDocument.Parse(await client.GetStringAsync("/.well-known/smart-configuration")).RootElement;
        Assert.Equal(issuerUrl + "/auth/token", smart.GetProperty("token_endpoint").GetString());
        var ownToken = await server.Server.CreateClient().PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = TestAuth.ClientId, ["client_secret"] = TestAuth.Secret,
        }));
        Assert.NotEqual(HttpStatusCode.OK, ownToken.StatusCode); // no token endpoint of its own
    }
}
