using Npgsql;
using Xunit.Sdk;

namespace Symphony.Reliability.Tests;

/// <summary>Runs only when SYMPHONY_TEST_POSTGRES is set; otherwise reported as skipped, never as passed.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresDatabase.ServerConnectionString is null) Skip = $"{PostgresDatabase.Variable} is not set";
    }
}

/// <summary>A uniquely named database for one test, dropped afterwards.</summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string Variable = "SYMPHONY_TEST_POSTGRES";
    public static string? ServerConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } cs ? cs : null;

    readonly string _name = "symphony_rel_" + Guid.NewGuid().ToString("N")[..12];
    readonly string _server;

    PostgresDatabase(string server) => _server = server;

    public string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = _name }.ConnectionString;

    /// <summary>A new database on the shared test server, or on <paramref name="server"/> when given.</summary>
    public static async Task<PostgresDatabase> CreateAsync(string? server = null)
    {
        var database = new PostgresDatabase(server ?? ServerConnectionString!);
        await using var admin = new NpgsqlConnection(database._server);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {database._name}", admin);
        await command.ExecuteNonQueryAsync();
        return database;
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T));
    }

    public async Task<List<string>> ColumnAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(Convert.ToString(reader.GetValue(0))!);
        return values;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", admin);
        await command.ExecuteNonQueryAsync();
    }
}
