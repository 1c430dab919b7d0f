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

    // unnest yields the keys in array order, so the locks are taken in that order.
    protected override string LockStatement(string keysParameter) =>
        $"SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest({keysParameter}::text[]) AS k";

    protected override string JsonValue(string parameterName) => $"{parameterName}::jsonb";

    protected override bool InsertsArrays => true;

    protected override string ArrayInsert(string table, IReadOnlyList<InsertColumn> columns, IReadOnlyList<string> arrayParameters)
    {
        var names = string.Join(", ", columns.Select(c => c.Name));
        var values = string.Join(", ", columns.Select(c => c.IsJson ? JsonValue(c.Name) : c.Name));
        var arrays = string.Join(", ", columns.Select((c, i) => $"{arrayParameters[i]}::{c.ArrayType}[]"));
        return $"INSERT INTO {table} ({names}) SELECT {values} FROM unnest({arrays}) AS x({names})";
    }

    protected override object ArrayOf(InsertColumn column, IEnumerable<object?> values) => column.ArrayType switch
    {
        "integer" => values.Cast<int>().ToArray(),
        "boolean" => values.Cast<bool>().ToArray(),
        "timestamptz" => values.Select(v => (DateTimeOffset?)v).ToArray(),
        _ => values.Select(v => (string?)v).ToArray(),
    };

    protected override string JsonText(string alias) => $"{alias}.content::text";

    protected override object ToDb(DateTimeOffset value) => value.ToUniversalTime();

    protected override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) =>
        reader.GetFieldValue<DateTimeOffset>(ordinal);
}
