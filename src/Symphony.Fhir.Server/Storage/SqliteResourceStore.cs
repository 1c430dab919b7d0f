using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Symphony.Fhir.Server.Storage;

/// <summary>The embedded backend: one SQLite file in WAL mode; JSON as text, timestamps as sortable UTC text.</summary>
public sealed class SqliteResourceStore : SqlResourceStore
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";
    private readonly string _connectionString;
    private readonly string _readOnlyConnectionString;

    // SQLite allows one writer at a time; queueing writers here avoids busy retries inside the database.
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteResourceStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _readOnlyConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Mode = SqliteOpenMode.ReadOnly }.ToString();

        // WAL is a property of the file: set it once here, not on every connection (changing the journal mode takes a lock).
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var wal = connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode = WAL;";
        wal.ExecuteNonQuery();
    }

    public string Path { get; }

    protected override string MigrationFolder => "Sqlite";

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = NORMAL;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    // A read-only connection in a deferred transaction reads a WAL snapshot: it takes neither this process's writer
    // semaphore nor the database's write lock, so it runs beside a writer in any process.
    protected override async Task<DbTransaction> BeginReadOnlyAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_readOnlyConnectionString);
        await connection.OpenAsync(ct);
        return connection.BeginTransaction(deferred: true);
    }

    protected override async ValueTask<IDisposable?> EnterWriteAsync(CancellationToken ct)
    {
        await _writer.WaitAsync(ct);
        return new Releaser(_writer);
    }

    protected override string? LockStatement(string keysParameter) => null;

    // Microsoft.Data.Sqlite binds each parameter by looking its name up among the statement's, so binding a command costs
    // the square of its parameters: many small commands (still one transaction, in process) keep a large write linear.
    protected override int MaxParametersPerCommand => 999;

    protected override string JsonValue(string parameterName) => parameterName;

    protected override string JsonText(string alias) => $"{alias}.content";

    protected override object ToDb(DateTimeOffset value) =>
        value.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    protected override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        DateTimeOffset.ParseExact(reader.GetString(ordinal), TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }
}
