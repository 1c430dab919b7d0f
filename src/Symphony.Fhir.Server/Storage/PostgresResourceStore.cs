using System.Data.Common;
using Npgsql;

namespace Symphony.Fhir.Server.Storage;

/// <summary>The PostgreSQL backend: jsonb content, timestamptz, a transaction-scoped advisory lock per resource id.</summary>
public sealed class PostgresResourceStore(NpgsqlDataSource dataSource) : SqlResourceStore
{
    protected override string MigrationFolder => "Postgres";

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await dataSource.OpenConnectionAsync(ct);

    protected override ValueTask<IDisposable?> EnterWriteAsync(CancellationToken ct) => ValueTask.FromResult<IDisposable?>(null);

    protected override string LockStatement(string keyParameter) => $"SELECT pg_advisory_xact_lock(hashtextextended({keyParameter}, 0))";

    protected override string JsonValue(string parameterName) => $"{parameterName}::jsonb";

    protected override string JsonText(string alias) => $"{alias}.content::text";

    protected override object ToDb(DateTimeOffset value) => value.ToUniversalTime();

    protected override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        reader.GetFieldValue<DateTimeOffset>(ordinal);
}
