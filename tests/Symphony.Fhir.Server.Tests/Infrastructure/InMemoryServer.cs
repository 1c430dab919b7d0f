using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Symphony.Fhir.Server.Tests.Infrastructure;

/// <summary>Starts the real server in memory with the given configuration.</summary>
public static class InMemoryServer
{
    /// <summary>
    /// Settings go in with UseSetting, which the server's Program sees from its first line. (ConfigureAppConfiguration
    /// is applied only at Build, after Program has already chosen its store and roles from the defaults.)
    /// </summary>
    /// <remarks>The test client is registered (<see cref="TestAuth"/>) and CreateClient's clients carry its token.</remarks>
    public static WebApplicationFactory<Program> Start(IReadOnlyDictionary<string, string?> settings, Action<IWebHostBuilder>? configure = null) =>
        new AuthenticatedFactory<Program>().WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in TestAuth.Settings.Concat(settings))
                builder.UseSetting(key, value);
            configure?.Invoke(builder);
        });

    /// <summary>What an api server on a fresh SQLite database fails to start with when given <paramref name="setting"/> = <paramref name="value"/>.</summary>
    public static async Task<Exception> StartupFailureAsync(string setting, string value)
    {
        await using var backend = new SqliteTestBackend();
        var settings = new Dictionary<string, string?>(backend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            [setting] = value,
        };
        await using var factory = Start(settings);
        return Assert.ThrowsAny<Exception>(() => factory.CreateClient());
    }
}
