using System.Net;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary>The settings of the Auth section: checked at start, and Auth:Mode=none for a server behind an authenticating gateway.</summary>
public sealed class AuthModeTests
{
    [Theory]
    [InlineData("Auth:Mode", "sometimes", "Auth:Mode")]
    [InlineData("Auth:Clients:0:Secret", "", "needs exactly one of Secret, Jwks or JwksUrl")]
    [InlineData("Auth:Clients:0:Scopes", "system/Patient.xyz", "Auth:Clients:0:Scopes")]
    [InlineData("Auth:Clients:0:Jwks", "{\"keys\":[]}", "needs exactly one of Secret, Jwks or JwksUrl")]
    [InlineData("Auth:TokenLifetime", "00:00:05", "Auth:TokenLifetime")]
    [InlineData("Auth:Clients:0:RedirectUris", "/relative/callback", "Auth:Clients:0:RedirectUris")]
    [InlineData("Auth:ReviewClient:Scopes", "user/Nothing.r", "Auth:ReviewClient:Scopes")]
    [InlineData("Auth:Users:0:UserName", "alice", "Auth:Users:0:PasswordHash is not a hash")]
    public async Task GivenAnAuthSettingThatCannotWork_WhenTheServerStarts_ThenItStopsNamingTheSetting(string setting, string value, string message)
    {
        var failure = await InMemoryServer.StartupFailureAsync(setting, value);
        Assert.Contains(message, failure.ToString());
    }

    [Fact]
    public async Task GivenAuthModeNone_WhenAnonymousRequestsCome_ThenTheyAreAnsweredAndMetadataSaysNothingIsChecked()
    {
        await using var backend = new SqliteTestBackend();
        await using var server = InMemoryServer.Start(new Dictionary<string, string?>(backend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            ["Auth:Mode"] = "none",
        });
        using var anonymous = server.Server.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/Patient?_count=1")).StatusCode);
        Assert.Contains("Auth:Mode is none", await anonymous.GetStringAsync("/metadata"));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/.well-known/smart-configuration")).StatusCode);
    }

    [Fact]
    public async Task GivenTheReviewClientDisabled_WhenItAuthorises_ThenItIsNotAClient()
    {
        await using var backend = new SqliteTestBackend();
        await using var server = InMemoryServer.Start(new Dictionary<string, string?>(backend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            ["Auth:ReviewClient:Enabled"] = "false",
        });
        using var anonymous = server.Server.CreateClient();
        var url = Browser.AuthorizeUrl("openid fhirUser", Browser.Pkce().Challenge, clientId: "symphony-review", redirectUri: "http://localhost/review/");

        var response = await anonymous.GetAsync(url);

        Assert.Null(response.Headers.Location); // no redirect for a client the server does not know
        Assert.Equal("invalid_client", await Browser.ErrorOf(response));
    }
}
