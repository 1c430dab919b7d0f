using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Symphony.Fhir.Server.Tests.Infrastructure;

/// <summary>
/// The tests' client of the built-in authorisation server: registered through the same <c>Auth:Clients:*</c> settings a
/// deployment uses, with every scope, and a real token from the server's token endpoint on every request.
/// </summary>
public static class TestAuth
{
    public const string ClientId = "test-client";
    public const string Secret = "test-client-secret";
    public const string Scopes = "system/*.cruds";

    /// <summary>Settings that register the test client.</summary>
    public static Dictionary<string, string?> Settings => new()
    {
        ["Auth:Clients:0:ClientId"] = ClientId,
        ["Auth:Clients:0:Secret"] = Secret,
        ["Auth:Clients:0:Scopes"] = Scopes,
    };

    /// <summary>An access token from the server at <paramref name="client"/>'s base address (client_credentials with a secret).</summary>
    public static async Task<string> TokenAsync(HttpClient client, string clientId = ClientId, string secret = Secret, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null)
            form["scope"] = scope;
        using var response = await client.PostAsync("auth/token", new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The token endpoint answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public static HttpClient WithToken(this HttpClient client, string token)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

/// <summary>
/// The server in memory whose clients (CreateClient) carry the test client's token, asked for once per server. The
/// factories that WithWebHostBuilder derives from it configure their clients through this one.
/// </summary>
public sealed class AuthenticatedFactory<TEntryPoint> : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    string? _token;
    TestServer? _server;
    readonly SemaphoreSlim _gate = new(1, 1);

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        _server = host.Services.GetRequiredService<IServer>() as TestServer;
        return host;
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        // The machine running the tests may be busy; a slow answer is not what these tests are about.
        client.Timeout = TimeSpan.FromMinutes(10);
        // CreateClient is synchronous; the token request is in memory, and run off any test synchronisation context.
        if (_server is not null)
            client.WithToken(Task.Run(TokenAsync).GetAwaiter().GetResult());
    }

    async Task<string> TokenAsync()
    {
        await _gate.WaitAsync();
        try
        {
            // A client of its own: the one being configured may not send before its configuration is done.
            using var client = _server!.CreateClient();
            return _token ??= await TestAuth.TokenAsync(client);
        }
        finally
        {
            _gate.Release();
        }
    }
}
