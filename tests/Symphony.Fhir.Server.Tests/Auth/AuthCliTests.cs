extern alias cli;

using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using cli::Symphony.Cli.Auth;
using Microsoft.IdentityModel.Tokens;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary><c>symphony auth client</c> against the database of a running server: no restart between the command and its effect.</summary>
public sealed class AuthCliTests
{
    [Fact]
    public async Task GivenAClientAddedWithAGeneratedSecret_WhenItAsksForAToken_ThenTheTokenReadsAndAfterRemoveItIsInvalidClient()
    {
        await using var backend = new SqliteTestBackend();
        var settings = new Dictionary<string, string?>(backend.ServerSettings) { ["role"] = "api", ["Terminology:LoadAtStartup"] = "false" };
        await using var factory = InMemoryServer.Start(settings);
        using var client = factory.Server.CreateClient();
        var database = settings["Storage:SqlitePath"]!;

        var (added, output) = await RunAsync("auth", "client", "add", "cli-client", "--scopes", "system/Patient.rs", "--generate-secret", "--connection", database);
        Assert.Equal(0, added);
        var secret = output.Split('\n').Single(l => l.StartsWith("client_secret: ", StringComparison.Ordinal))["client_secret: ".Length..].Trim();

        var (status, body) = await TokenAsync(client, "cli-client", secret);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Patient?_count=1")).StatusCode);
        client.DefaultRequestHeaders.Authorization = null;

        var (listed, list) = await RunAsync("auth", "client", "list", "--connection", database);
        Assert.Equal(0, listed);
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("auth", "client", "remove", "cli-client", "--connection", database)).Code);
        var (refused, error) = await TokenAsync(client, "cli-client", secret);
        Assert.NotEqual(HttpStatusCode.OK, refused);
        Assert.Equal("invalid_client", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task GivenAClientAddedWithAJwksFile_WhenItSendsASignedAssertion_ThenItGetsATokenAndListShowsItsKind()
    {
        await using var backend = new SqliteTestBackend();
        var settings = new Dictionary<string, string?>(backend.ServerSettings) { ["role"] = "api", ["Terminology:LoadAtStartup"] = "false" };
        await using var factory = InMemoryServer.Start(settings);
        using var client = factory.Server.CreateClient();
        var database = settings["Storage:SqlitePath"]!;
        using var key = RSA.Create(2048);
        var jwksFile = Path.Combine(Path.GetDirectoryName(database)!, "client.jwks.json");
        await File.WriteAllTextAsync(jwksFile, Jwks.Of(key, "cli-rsa"));

        var (added, _) = await RunAsync("auth", "client", "add", "cli-backend", "--scopes", "system/Patient.rs", "--jwks", jwksFile, "--connection", database);
        var assertion = BackendServicesTests<SqliteAuthServerFixture>.Assertion("cli-backend", new RsaSecurityKey(key) { KeyId = "cli-rsa" }, SecurityAlgorithms.RsaSha384);
        var (status, body) = await BackendServicesTests<SqliteAuthServerFixture>.ExchangeAsync(client, assertion);
        var (refused, _) = await TokenAsync(client, "cli-backend", ""); // a keyed client has no secret, not even an empty one

        Assert.Equal(0, added);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.NotEqual(HttpStatusCode.OK, refused);
        var stored = Assert.Single(await AuthStore.Open(database).ListClientsAsync(), c => c.ClientId == "cli-backend");
        Assert.Equal("jwks", stored.CredentialKind);
        Assert.Equal(0, (await RunAsync("auth", "client", "remove", "cli-backend", "--connection", database)).Code);
        Assert.DoesNotContain(await AuthStore.Open(database).ListClientsAsync(), c => c.ClientId == "cli-backend");
    }

    [Fact]
    public async Task GivenASecretAndAJwks_WhenAClientIsAdded_ThenTheCommandRefusesTwoCredentials()
    {
        await using var backend = new SqliteTestBackend();
        var (code, _) = await RunAsync("auth", "client", "add", "two", "--scopes", "system/*.rs", "--secret", "s", "--jwks-url", "https://example.org/jwks",
            "--connection", backend.ServerSettings["Storage:SqlitePath"]!);
        Assert.Equal(1, code);
    }

    [Fact]
    public async Task GivenAPasswordOnStandardInput_WhenAUserIsAddedAndAHashPrinted_ThenOnlyHashesAreKeptAndTheyMatchThePassword()
    {
        await using var backend = new SqliteTestBackend();
        var database = backend.ServerSettings["Storage:SqlitePath"]!;
        var (added, output) = await RunWithInputAsync("correct horse\n", "auth", "user", "add", "alice", "--fhir-user", "Practitioner/123", "--scopes", "user/*.rs openid fhirUser",
            "--password-stdin", "--connection", database);
        var (hashed, hash) = await RunWithInputAsync("correct horse\n", "auth", "user", "hash-password", "--password-stdin");
        var (refused, _) = await RunWithInputAsync("x\n", "auth", "user", "add", "bob", "--fhir-user", "Observation/1", "--scopes", "user/*.rs", "--password-stdin", "--connection", database);

        Assert.Equal(0, added);
        Assert.DoesNotContain("correct horse", output, StringComparison.Ordinal);
        var user = Assert.Single(await AuthStore.Open(database).ListUsersAsync());
        Assert.Equal(("alice", "Practitioner/123", "user/*.rs openid fhirUser"), (user.UserName, user.FhirUser, user.Scopes));
        Assert.Equal(0, hashed);
        Assert.True(SecretHash.IsHash(hash.Trim()) && SecretHash.Matches("correct horse", hash.Trim()), hash);
        Assert.Equal(1, refused);
        Assert.Equal(0, (await RunWithInputAsync("", "auth", "user", "remove", "alice", "--connection", database)).Code);
        Assert.Empty(await AuthStore.Open(database).ListUsersAsync());
    }

    /// <summary>The command with <paramref name="input"/> as standard input (only the password readers read it).</summary>
    static async Task<(int Code, string Output)> RunWithInputAsync(string input, params string[] args)
    {
        var previous = Console.In;
        Console.SetIn(new StringReader(input));
        try
        {
            return await RunAsync(args);
        }
        finally
        {
            Console.SetIn(previous);
        }
    }

    [Fact]
    public async Task GivenAPublicClientAddedWithRedirectUris_WhenAUserSignsIn_ThenItGetsTokensOnlyAtThoseUris()
    {
        await using var backend = new SqliteTestBackend();
        var settings = new Dictionary<string, string?>(backend.ServerSettings)
        {
            ["role"] = "api", ["Terminology:LoadAtStartup"] = "false",
            ["Auth:Users:0:UserName"] = "cli-user", ["Auth:Users:0:PasswordHash"] = SecretHash.Of(AppLaunchFixture.Password),
            ["Auth:Users:0:FhirUser"] = "Practitioner/cli-1", ["Auth:Users:0:Scopes"] = "user/*.rs",
        };
        await using var factory = InMemoryServer.Start(settings);
        var database = settings["Storage:SqlitePath"]!;

        var (added, output) = await RunAsync("auth", "client", "add", AppLaunchFixture.App, "--scopes", "user/*.rs",
            "--redirect-uris", AppLaunchFixture.AppRedirect, "--connection", database);
        Assert.True(added == 0, output);
        var stored = await AuthStore.Open(database).FindClientAsync(AppLaunchFixture.App);
        Assert.Equal("public", stored!.CredentialKind);
        Assert.Equal(AppLaunchFixture.AppRedirect, stored.RedirectUris);

        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        client.DefaultRequestHeaders.Authorization = null;
        using var browser = new Browser(client);
        var (verifier, challenge) = Browser.Pkce();
        var code = Browser.CodeOf(await browser.SignInAsync(Browser.AuthorizeUrl("user/*.rs", challenge), "cli-user"));
        var (status, body) = await browser.ExchangeAsync(code, verifier);
        Assert.True(status == HttpStatusCode.OK, body.ToString());

        var elsewhere = await client.GetAsync(Browser.AuthorizeUrl("user/*.rs", challenge, redirectUri: "http://app.example/other"));
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Null(elsewhere.Headers.Location);
    }

    static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await new RootCommand { AuthCommands.Create() }.Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output });
        return (code, output.ToString());
    }

    static async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(HttpClient client, string clientId, string secret)
    {
        using var response = await client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = "system/Patient.rs",
        }));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }
}
