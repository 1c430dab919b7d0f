using Npgsql;

namespace Symphony.Fhir.Server.Storage;

public static class StorageExtensions
{
    public static WebApplicationBuilder AddFhirStorage(this WebApplicationBuilder builder)
    {
        var options = builder.ServerOptions();
        if (options.Provider == StorageProvider.Postgres)
        {
            builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(ForTheStore(options.PostgresConnectionString!)));
            builder.Services.AddSingleton<IResourceStore, PostgresResourceStore>();
        }
        else
        {
            builder.Services.AddSingleton<IResourceStore>(_ => new SqliteResourceStore(options.SqlitePath));
        }
        builder.Services.AddHostedService<StorageMigration>();
        return builder;
    }

    /// <summary>
    /// The store repeats a handful of statements: prepared statements save parsing and planning each time. Its
    /// connections keep no session state (locks and settings are the transaction's), so a connection handed back to the
    /// pool needs no reset: without it, each of the several checkouts per request would run Npgsql's reset statements.
    /// </summary>
    private static string ForTheStore(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.MaxAutoPrepare == 0)
            settings.MaxAutoPrepare = 64;
        settings.NoResetOnClose = true;
        return settings.ConnectionString;
    }
}

/// <summary>Brings the schema up to date at start (the store would also do it on first use).</summary>
public sealed class StorageMigration(IResourceStore store) : IHostedService
{
    public System.Threading.Tasks.Task StartAsync(CancellationToken cancellationToken) => store.MigrateAsync(cancellationToken);

    public System.Threading.Tasks.Task StopAsync(CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;
}
