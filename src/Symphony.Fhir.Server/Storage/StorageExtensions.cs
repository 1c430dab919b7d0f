using Npgsql;

namespace Symphony.Fhir.Server.Storage;

public sealed class StorageOptions
{
    /// <summary>"sqlite" (embedded default) or "postgres" (uses ConnectionStrings:Postgres).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>SQLite file, relative to the content root.</summary>
    public string SqlitePath { get; set; } = "data/symphony.db";
}

public static class StorageExtensions
{
    public static WebApplicationBuilder AddFhirStorage(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        switch (options.Provider.ToLowerInvariant())
        {
            case "sqlite":
                var path = Path.Combine(builder.Environment.ContentRootPath, options.SqlitePath);
                builder.Services.AddSingleton<IResourceStore>(_ => new SqliteResourceStore(path));
                break;
            case "postgres":
                var connectionString = builder.Configuration.GetConnectionString("Postgres")
                    ?? throw new InvalidOperationException("Storage:Provider is postgres but ConnectionStrings:Postgres is not set.");
                builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(WithAutoPrepare(connectionString)));
                builder.Services.AddSingleton<IResourceStore, PostgresResourceStore>();
                break;
            default:
                throw new InvalidOperationException($"Storage:Provider '{options.Provider}' is not sqlite or postgres.");
        }
        builder.Services.AddHostedService<StorageMigration>();
        return builder;
    }

    /// <summary>The store repeats a handful of statements; prepared statements save parsing and planning each time.</summary>
    private static string WithAutoPrepare(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.MaxAutoPrepare == 0)
            settings.MaxAutoPrepare = 64;
        return settings.ConnectionString;
    }
}

/// <summary>Brings the schema up to date at start (the store would also do it on first use).</summary>
public sealed class StorageMigration(IResourceStore store) : IHostedService
{
    public System.Threading.Tasks.Task StartAsync(CancellationToken cancellationToken) => store.MigrateAsync(cancellationToken);

    public System.Threading.Tasks.Task StopAsync(CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;
}
