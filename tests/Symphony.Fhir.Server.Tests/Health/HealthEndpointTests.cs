using System.Net;
using System.Text.Json.Nodes;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Health;

/// <summary>/healthz and /readyz in each role, on the embedded default.</summary>
public sealed class SqliteHealthEndpointTests
{
    [Theory]
    [InlineData("both", new[] { "database", "validator", "coder", "terminology" })]
    [InlineData("api", new[] { "database", "validator", "terminology" })]
    [InlineData("worker", new[] { "database", "coder" })]
    public async Task GivenARole_WhenItHasStarted_ThenReadyzTurnsReadyWithExactlyThePartsThatRoleLoads(string role, string[] parts)
    {
        await using var backend = new SqliteTestBackend();
        await using var server = InMemoryServer.Start(Settings(backend, role));
        using var client = server.CreateClient();

        var live = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("application/json", live.Content.Headers.ContentType?.MediaType);

        var (status, body) = await WaitForReadyzAsync(client, s => s == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", (string?)body["status"]);
        Assert.Equal(role, (string?)body["role"]);
        var checks = body["checks"]!.AsObject();
        Assert.Equal(parts.Order(), checks.Select(c => c.Key).Order());
        Assert.All(checks, c => Assert.True((bool)c.Value!["ready"]!, c.Key));
    }

    [Fact]
    public async Task GivenAWorkerWhoseCoderCannotLoad_WhenReadyzIsAsked_ThenItAnswers503NamingTheCoder()
    {
        await using var backend = new SqliteTestBackend();
        var settings = Settings(backend, "worker");
        settings["Coding:Icd10CmVersion"] = "1999"; // no such release: the coder cannot be built
        await using var server = InMemoryServer.Start(settings);
        using var client = server.CreateClient();

        var (status, body) = await WaitForReadyzAsync(client, _ => false, until: b => ((string?)b["checks"]?["coder"]?["detail"])?.StartsWith("could not load") == true);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("not ready", (string?)body["status"]);
        Assert.False((bool)body["checks"]!["coder"]!["ready"]!);
        Assert.True((bool)body["checks"]!["database"]!["ready"]!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode); // alive, but not to be sent work
    }

    static Dictionary<string, string?> Settings(TestBackend backend, string role) => new(backend.ServerSettings)
    {
        ["role"] = role,
        ["Terminology:LoadAtStartup"] = "false",
    };

    static async Task<(HttpStatusCode Status, JsonNode Body)> WaitForReadyzAsync(HttpClient client, Func<HttpStatusCode, bool> done, Func<JsonNode, bool>? until = null)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var response = await client.GetAsync("/readyz");
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (done(response.StatusCode) || until?.Invoke(body) == true || DateTime.UtcNow > deadline) return (response.StatusCode, body);
            await Task.Delay(200);
        }
    }
}
