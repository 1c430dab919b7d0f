using System.Data.Common;
using Npgsql;

namespace Symphony.Fhir.Server.Storage;

/// <summary>The PostgreSQL backend: jsonb content, timestamptz, a transaction-scoped advisory lock per resource id.</summary>
public sealed class PostgresResourceStore(NpgsqlDataSource dataSource) : SqlResourceStore
{
    protected override string MigrationFolder => "Postgres";

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await dataSource.OpenConnectionAsync(ct);

    protected override async Task<DbTransaction> BeginReadOnlyAsync(CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        var transaction = await connection.BeginTransactionAsync(ct);
        await using var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction);
        await readOnly.ExecuteNonQueryAsync(ct);
        return transaction;
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
