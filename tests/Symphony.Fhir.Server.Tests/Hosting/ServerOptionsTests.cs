using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Hosting;

/// <summary>The role and the storage are read once, at start: one the server cannot use stops it, with the setting's name.</summary>
public sealed class ServerOptionsTests
{
    [Theory]
    [InlineData("role", "foo", "role 'foo' is not one of both, api, worker")]
    [InlineData("role", "1", "role '1' is not one of both, api, worker")]
    [InlineData("Storage:Provider", "mysql", "Storage:Provider 'mysql' is not one of sqlite, postgres")]
    public async Task GivenAnUnknownRoleOrProvider_WhenTheServerStarts_ThenItStopsAndNamesTheSetting(string setting, string value, string message)
    {
        var failure = await InMemoryServer.StartupFailureAsync(setting, value);

        Assert.Contains(message, failure.ToString());
    }

    [Fact]
    public void GivenPostgresWithoutAConnectionString_WhenRead_ThenTheMessageNamesTheMissingSetting()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => ServerOptions.From(Configuration(("Storage:Provider", "postgres")), "/srv"));

        Assert.Equal("Storage:Provider is postgres but ConnectionStrings:Postgres is not set.", failure.Message);
    }

    [Fact]
    public void GivenNothingSet_WhenRead_ThenBothRolesRunOnTheEmbeddedDatabaseUnderTheContentRoot()
    {
        var options = ServerOptions.From(Configuration(), "/srv");

        Assert.Equal(new ServerOptions(ServerRole.Both, StorageProvider.Sqlite, "/srv/data/symphony.db", null), options);
        Assert.True(options.RunsApi && options.RunsWorker);
    }

    [Fact]
    public void GivenTheRoleAndProviderInAnyCase_WhenRead_ThenTheyAreRecognised()
    {
        var options = ServerOptions.From(Configuration(("role", "WORKER"), ("Storage:Provider", "Postgres"), ("ConnectionStrings:Postgres", "Host=db")), "/srv");

        Assert.Equal((ServerRole.Worker, StorageProvider.Postgres, "Host=db"), (options.Role, options.Provider, options.PostgresConnectionString));
        Assert.False(options.RunsApi);
        Assert.Equal("worker", options.RoleName);
    }

    [Fact]
    public async Task GivenARunningServer_WhenItsOptionsAreAskedFor_ThenDiHoldsTheOnesItWasStartedWith()
    {
        await using var backend = new SqliteTestBackend();
        var settings = new Dictionary<string, string?>(backend.ServerSettings) { ["role"] = "Api", ["Terminology:LoadAtStartup"] = "false" };
        await using var factory = InMemoryServer.Start(settings);

        var options = factory.Services.GetRequiredService<ServerOptions>();

        Assert.Equal(ServerRole.Api, options.Role);
        Assert.Equal(StorageProvider.Sqlite, options.Provider);
    }

    static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
}
