extern alias cli;

using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using cli::Symphony.Cli.Auth;
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
    public async Task GivenASecretAndAJwks_WhenAClientIsAdded_ThenTheCommandRefusesTwoCredentials()
    {
        await using var backend = new SqliteTestBackend();
        var (code, _) = await RunAsync("auth", "client", "add", "two", "--scopes", "system/*.rs", "--secret", "s", "--jwks-url", "https://example.org/jwks",
            "--connection", backend.ServerSettings["Storage:SqlitePath"]!);
        Assert.Equal(1, code);
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
