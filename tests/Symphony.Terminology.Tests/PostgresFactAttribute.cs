using Npgsql;

namespace Symphony.Terminology.Tests;

/// <summary>A fact that needs PostgreSQL: not run (reported skipped) when SYMPHONY_TEST_POSTGRES is unset.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public const string Variable = "SYMPHONY_TEST_POSTGRES";

    public PostgresFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Variable))) Skip = $"{Variable} is not set";
    }
}

/// <summary>A uniquely named PostgreSQL database for one test, dropped afterwards.</summary>
public sealed class TemporaryPostgresDatabase : IAsyncDisposable
{
    readonly string admin;
    public string Name { get; } = "symphony_term_" + Guid.NewGuid().ToString("N")[..12];
    public string ConnectionString { get; }

    TemporaryPostgresDatabase(string admin)
    {
        this.admin = admin;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = Name }.ToString();
    }

    public static async Task<TemporaryPostgresDatabase> CreateAsync()
    {
        var db = new TemporaryPostgresDatabase(Environment.GetEnvironmentVariable(PostgresFactAttribute.Variable)!);
        await using var connection = new NpgsqlConnection(db.admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {db.Name}", connection);
        await command.ExecuteNonQueryAsync();
        return db;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
