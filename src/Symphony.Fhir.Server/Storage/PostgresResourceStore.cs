using System.Data.Common;
using Npgsql;

namespace Symphony.Fhir.Server.Storage;

/// <summary>The PostgreSQL backend: jsonb content, timestamptz, a transaction-scoped advisory lock per resource id.</summary>
public sealed class PostgresResourceStore(NpgsqlDataSource dataSource) : SqlResourceStore
{
    protected override string MigrationFolder => "Postgres";

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await dataSource.OpenConnectionAsync(ct);

    // Reads take no lock here; SET TRANSACTION READ ONLY would cost a round trip of its own on every poll and job, and the
    // SQLite backend, which refuses writes in this transaction, runs every test that goes through it.
    protected override async Task<DbTransaction> BeginReadOnlyAsync(CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.BeginTransactionAsync(ct);
    }

    protected override ValueTask<IDisposable?> EnterWriteAsync(CancellationToken ct) => ValueTask.FromResult<IDisposable?>(null);

    // unnest yields the keys in array order, so the locks are taken in that order.
    protected override string LockStatement(string keysParameter) =>
        $"SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest({keysParameter}::text[]) AS k";

    protected override string JsonValue(string parameterName) => $"{parameterName}::jsonb";

    protected override string JsonText(string alias) => $"{alias}.content::text";

    protected override object ToDb(DateTimeOffset value) => value.ToUniversalTime();

    protected override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        reader.GetFieldValue<DateTimeOffset>(ordinal);
}
