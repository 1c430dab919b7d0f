using Npgsql;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Tests.Infrastructure;

/// <summary>A fresh, empty database for one test class, removed afterwards.</summary>
public abstract class TestBackend : IAsyncDisposable
{
    public abstract IResourceStore CreateStore();

    /// <summary>Configuration that points the server at this database.</summary>
    public abstract IReadOnlyDictionary<string, string?> ServerSettings { get; }

    public abstract ValueTask DisposeAsync();
}

public sealed class SqliteTestBackend : TestBackend
{
    private readonly string _directory = Directory.CreateTempSubdirectory("symphony-test-").FullName;

    private string DatabasePath => Path.Combine(_directory, "symphony.db");

    public override IResourceStore CreateStore() => new SqliteResourceStore(DatabasePath);

    public override IReadOnlyDictionary<string, string?> ServerSettings => new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "sqlite",
        ["Storage:SqlitePath"] = DatabasePath,
    };

    public override ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed class PostgresTestBackend : TestBackend
{
    public const string Variable = "SYMPHONY_TEST_POSTGRES";

    private readonly string _database = $"symphony_test_{Guid.NewGuid():N}";
    private readonly List<NpgsqlDataSource> _dataSources = [];
    private bool _created;

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    private string DatabaseConnectionString =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Database = _database }.ConnectionString;

    /// <summary>A new database when SYMPHONY_TEST_POSTGRES is set; null otherwise (the tests using it are then skipped).</summary>
    public static async Task<TestBackend?> CreateIfConfiguredAsync()
    {
        if (ConnectionString is null)
            return null;
        var backend = new PostgresTestBackend();
        await backend.CreateAsync();
        return backend;
    }

    public async Task CreateAsync()
    {
        await using var admin = new NpgsqlConnection(ConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
        await command.ExecuteNonQueryAsync();
        _created = true;
    }

    public override IResourceStore CreateStore()
    {
        var dataSource = NpgsqlDataSource.Create(DatabaseConnectionString);
        _dataSources.Add(dataSource);
        return new PostgresResourceStore(dataSource);
    }

    public override IReadOnlyDictionary<string, string?> ServerSettings => new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "postgres",
        ["ConnectionStrings:Postgres"] = DatabaseConnectionString,
        // Not the source tree's data folder, where a developer's own admin-client.json may be.
        ["Auth:AdminClientFile"] = AdminClientFile,
    };

    private string AdminClientFile => Path.Combine(Path.GetTempPath(), $"{_database}-admin-client.json");

    public override async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
            await dataSource.DisposeAsync();
        File.Delete(AdminClientFile);
        if (!_created)
            return;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(ConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
        await command.ExecuteNonQueryAsync();
    }
}
