using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.ReviewApp;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.ReviewApp;

/// <summary>/review/: the built app's files, anonymous, with the cache headers each kind needs, and the app's routes answered with its index.</summary>
public sealed class SqliteReviewAppServingTests : IAsyncLifetime
{
    readonly SqliteTestBackend _backend = new();
    readonly string _folder = Directory.CreateTempSubdirectory("symphony-review-app-").FullName;
    string Root => Path.Combine(_folder, "review");

    const string Index = "<!doctype html><title>workbench</title><script type=\"module\" src=\"/review/assets/index-3f9a1c.js\"></script>";

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Root, "assets"));
        File.WriteAllText(Path.Combine(Root, "index.html"), Index);
        File.WriteAllText(Path.Combine(Root, "launch.html"), "<!doctype html><title>launch</title>");
        File.WriteAllText(Path.Combine(Root, "assets", "index-3f9a1c.js"), "console.log('app');");
        File.WriteAllText(Path.Combine(_folder, "secret.txt"), "outside the app");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    WebApplicationFactory<Program> Server(string root) => InMemoryServer.Start(
        new Dictionary<string, string?>(_backend.ServerSettings) { ["role"] = "api", ["Terminology:LoadAtStartup"] = "false" },
        builder => builder.ConfigureTestServices(services => services.AddSingleton(new ReviewAppFiles(root))));

    [Fact]
    public async Task GivenTheBuiltApp_WhenItsPagesAndAssetsAreAskedWithoutAToken_ThenTheyAreServedWithTheirCacheHeaders()
    {
        await using var server = Server(Root);
        using var anonymous = server.Server.CreateClient(); // no token: the app's files hold no data

        using var redirect = await anonymous.GetAsync("/review?iss=x");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/review/?iss=x", redirect.Headers.Location!.OriginalString);

        using var index = await anonymous.GetAsync("/review/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType!.MediaType);
        Assert.Equal(Index, await index.Content.ReadAsStringAsync());
        Assert.True(index.Headers.CacheControl!.NoCache);
        Assert.Equal("nosniff", index.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("default-src 'self'", index.Headers.GetValues("Content-Security-Policy").Single());

        using var asset = await anonymous.GetAsync("/review/assets/index-3f9a1c.js");
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("text/javascript", asset.Content.Headers.ContentType!.MediaType);
        Assert.Equal(TimeSpan.FromDays(365), asset.Headers.CacheControl!.MaxAge);
        Assert.Contains("immutable", asset.Headers.CacheControl.ToString());

        using var launch = await anonymous.GetAsync("/review/launch.html?iss=http://x&launch=abc");
        Assert.Equal("<!doctype html><title>launch</title>", await launch.Content.ReadAsStringAsync());
        Assert.True(launch.Headers.CacheControl!.NoCache);

        // Unchanged since the browser last fetched it: 304 with no body.
        using var again = new HttpRequestMessage(HttpMethod.Get, "/review/");
        again.Headers.IfNoneMatch.Add(index.Headers.ETag!);
        using var notModified = await anonymous.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task GivenTheBuiltApp_WhenAnAppRouteAMissingFileOrAPathOutsideItIsAsked_ThenRoutesGetTheIndexAndFilesA404()
    {
        await using var server = Server(Root);
        using var anonymous = server.Server.CreateClient();

        using var route = await anonymous.GetAsync("/review/encounter/e-1");
        Assert.Equal(HttpStatusCode.OK, route.StatusCode);
        Assert.Equal(Index, await route.Content.ReadAsStringAsync());

        using var missing = await anonymous.GetAsync("/review/assets/index-000000.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("OperationOutcome", JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["resourceType"]!.GetValue<string>());

        foreach (var outside in new[] { "/review/..%2Fsecret.txt", "/review/%2E%2E/secret.txt", "/review/assets/..%2F..%2Fsecret.txt" })
        {
            using var response = await anonymous.GetAsync(outside);
            Assert.DoesNotContain("outside the app", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task GivenTheAppIsNotBuilt_WhenReviewIsAsked_Then404SaysSoAndTheFhirApiIsUnaffected()
    {
        await using var server = Server(Path.Combine(_folder, "not-built"));
        using var anonymous = server.Server.CreateClient();
        using var response = await anonymous.GetAsync("/review/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not built", await response.Content.ReadAsStringAsync());

        using var client = server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metadata")).StatusCode);
    }
}
