using System.Data.Common;
using System.Reflection;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Symphony.Fhir.Server.Storage;

/// <summary>
/// The storage logic both backends share: tables <c>resource</c> (which version is current), <c>resource_history</c>
/// (every version with its JSON, the only copy of it) and <c>search_index</c> (extracted search values), written in one
/// transaction per call. Subclasses supply connections, locking and the few SQL spellings that differ.
/// </summary>
public abstract class SqlResourceStore : IResourceStore
{
    /// <summary>Current versions with their JSON (alias <c>h</c>): a version's content is stored once, in its history row.</summary>
    private const string CurrentVersions =
        "resource r JOIN resource_history h ON h.resource_type = r.resource_type AND h.id = r.id AND h.version_id = r.version_id";

    private readonly FhirJsonSerializer _serializer = new();
    private readonly FhirJsonDeserializer _deserializer = new();
    private readonly SemaphoreSlim _migrationGate = new(1, 1);
    private volatile bool _migrated;

    /// <summary>Folder under Storage/Migrations holding this backend's numbered .sql files.</summary>
    protected abstract string MigrationFolder { get; }

    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>A transaction on a connection of its own that reads without waiting for writers (and, where it costs nothing, refuses writes).</summary>
    protected abstract Task<DbTransaction> BeginReadOnlyAsync(CancellationToken ct);

    /// <summary>Serialises writers that could touch the same rows; disposed after commit.</summary>
    protected abstract ValueTask<IDisposable?> EnterWriteAsync(CancellationToken ct);

    /// <summary>
    /// A statement that locks every key of the text array named by <paramref name="keysParameter"/>, in the array's order, for
    /// the rest of the transaction, or null where writers are already serialised. It goes in the same round trip as the
    /// statement that follows it.
    /// </summary>
    protected abstract string? LockStatement(string keysParameter);

    /// <summary>Locks one key for the rest of the transaction (no-op where writers are already serialised).</summary>
    private async System.Threading.Tasks.Task LockAsync(DbTransaction transaction, string key, CancellationToken ct)
    {
        if (LockStatement("@keys") is not { } sql)
            return;
        await using var command = Command(transaction, sql);
        Add(command, "@keys", new[] { key });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>SQL for a JSON parameter as stored in the content column.</summary>
    protected abstract string JsonValue(string parameterName);

    /// <summary>SQL that reads the content column as text.</summary>
    protected abstract string JsonText(string alias);

    protected abstract object ToDb(DateTimeOffset value);

    protected abstract DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal);

    public async System.Threading.Tasks.Task MigrateAsync(CancellationToken ct = default)
    {
        if (_migrated)
            return;
        await _migrationGate.WaitAsync(ct);
        try
        {
            if (_migrated)
                return;
            using var writeLock = await EnterWriteAsync(ct);
            await using var connection = await OpenAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await LockAsync(transaction, "schema_migrations", ct);
            await ExecuteAsync(transaction,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at text NOT NULL)", ct);
            var applied = new HashSet<string>();
            await using (var command = Command(transaction, "SELECT version FROM schema_migrations"))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    applied.Add(reader.GetString(0));
            }
            foreach (var (version, sql) in Migrations())
            {
                if (applied.Contains(version))
                    continue;
                await ExecuteAsync(transaction, sql, ct);
                await using var record = Command(transaction,
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @at)");
                Add(record, "@version", version);
                Add(record, "@at", DateTimeOffset.UtcNow.ToString("O"));
                await record.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
            _migrated = true;
        }
        finally
        {
            _migrationGate.Release();
        }
    }

    /// <summary>The embedded migration scripts of this backend, ordered by their file name ("0001_initial.sql" …).</summary>
    public IReadOnlyList<(string Version, string Sql)> Migrations()
    {
        var assembly = typeof(SqlResourceStore).Assembly;
        var prefix = $"{typeof(SqlResourceStore).Namespace}.Migrations.{MigrationFolder}.";
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name => (name[prefix.Length..^4], ReadResource(assembly, name)))
            .ToList();
    }

    public async Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct = default)
    {
        await MigrateAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection,
            $"SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.is_deleted, {JsonText("h")} FROM {CurrentVersions} WHERE r.resource_type = @type AND r.id = @id");
        Add(command, "@type", resourceType);
        Add(command, "@id", id);
        return (await ReadAllAsync(command, ct)).SingleOrDefault();
    }

    public async Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct = default)
    {
        await MigrateAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection,
            $"SELECT h.resource_type, h.id, h.version_id, h.last_updated, h.is_deleted, {JsonText("h")} FROM resource_history h WHERE h.resource_type = @type AND h.id = @id AND h.version_id = @version");
        Add(command, "@type", resourceType);
        Add(command, "@id", id);
        Add(command, "@version", versionId);
        return (await ReadAllAsync(command, ct)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(
        IReadOnlyList<ResourceWrite> writes,
        Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task>? alsoInTransaction = null,
        CancellationToken ct = default)
    {
        await MigrateAsync(ct);
        using var writeLock = await EnterWriteAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Millisecond precision: meta.lastUpdated in the JSON and the column must agree exactly.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        // A few round trips whatever the number of resources: lock and read all current versions, decide each write
        // in memory (in order, so a later write of the same id sees the earlier one), then store the new versions together.
        var current = await LockAndReadCurrentAsync(transaction, writes, ct);
        var stored = new List<(StoredResource Version, IReadOnlyList<IndexRow> Index)>();
        var results = new List<WriteResult>(writes.Count);
        foreach (var write in writes)
        {
            // A build reads the database: it sees the writes before it in this call, as if they had been stored one by one.
            if (write.Build is not null && stored.Count > 0)
            {
                await StoreVersionsAsync(transaction, stored, ct);
                stored.Clear();
            }
            results.Add(await ApplyAsync(transaction, write, current, stored, now, ct));
        }
        await StoreVersionsAsync(transaction, stored, ct);
        if (alsoInTransaction is not null)
            await alsoInTransaction(transaction, ct);
        await transaction.CommitAsync(ct);
        return results;
    }

    public async System.Threading.Tasks.Task ReadSqlAsync(Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task> read, CancellationToken ct = default)
    {
        await MigrateAsync(ct);
        var transaction = await BeginReadOnlyAsync(ct);
        await using var connection = transaction.Connection!;
        await using (transaction)
        {
            await read(transaction, ct);
            await transaction.CommitAsync(ct);
        }
    }

    public async Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct = default)
    {
        await MigrateAsync(ct);
        await using var connection = await OpenAsync(ct);

        int? total = null;
        if (query.CountAll)
        {
            await using var count = Command(connection, "");
            count.CommandText = $"SELECT COUNT(*) FROM resource r WHERE {Where(query, count)}";
            total = Convert.ToInt32(await count.ExecuteScalarAsync(ct));
        }

        await using var select = Command(connection, "");
        var order = query.NewestFirst ? "DESC" : "ASC";
        select.CommandText =
            $"SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.is_deleted, {JsonText("h")} FROM {CurrentVersions} " +
            $"WHERE {Where(query, select)} ORDER BY r.last_updated {order}, r.id {order} LIMIT @limit OFFSET @offset";
        Add(select, "@limit", query.Count);
        Add(select, "@offset", query.Offset);
        var matches = await ReadAllAsync(select, ct);

        var included = query.IncludeParams is { Count: > 0 } && matches.Count > 0
            ? await ReadIncludedAsync(connection, query.ResourceType, query.IncludeParams, matches, ct)
            : [];
        return new SearchPage(matches, included, total ?? matches.Count);
    }

    public async Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken ct = default)
    {
        await MigrateAsync(ct);
        await using var connection = await OpenAsync(ct);
        string Where(DbCommand command)
        {
            var where = new StringBuilder("1 = 1");
            if (query.ResourceType is not null)
            {
                where.Append(" AND h.resource_type = @type");
                Add(command, "@type", query.ResourceType);
            }
            if (query.ExceptType is not null)
            {
                where.Append(" AND h.resource_type <> @except");
                Add(command, "@except", query.ExceptType);
            }
            if (query.Id is not null)
            {
                where.Append(" AND h.id = @id");
                Add(command, "@id", query.Id);
            }
            if (query.Since is { } since)
            {
                where.Append(" AND h.last_updated >= @since");
                Add(command, "@since", ToDb(since));
            }
            return where.ToString();
        }

        await using var count = Command(connection, "");
        count.CommandText = $"SELECT COUNT(*) FROM resource_history h WHERE {Where(count)}";
        var total = Convert.ToInt32(await count.ExecuteScalarAsync(ct));

        await using var select = Command(connection, "");
        select.CommandText =
            $"SELECT h.resource_type, h.id, h.version_id, h.last_updated, h.is_deleted, {JsonText("h")} FROM resource_history h " +
            $"WHERE {Where(select)} ORDER BY h.last_updated DESC, h.version_id DESC, h.id LIMIT @limit OFFSET @offset";
        Add(select, "@limit", query.Count);
        Add(select, "@offset", query.Offset);
        return new HistoryPage(await ReadAllAsync(select, ct), total);
    }

    /// <summary>
    /// Locks the ids the writes update or delete (sorted, so two writers never wait on each other in a cycle), then reads
    /// their current versions: one round trip, two statements, so in READ COMMITTED the read sees whatever the previous
    /// holder of each lock committed. Keyed by (type, id); ids that never existed map to null.
    /// </summary>
    private async Task<Dictionary<(string Type, string Id), StoredResource?>> LockAndReadCurrentAsync(
        DbTransaction transaction, IReadOnlyList<ResourceWrite> writes, CancellationToken ct)
    {
        var keys = writes.Where(w => w.Kind != WriteKind.Create).Select(w => (Type: w.ResourceType, w.Id)).Distinct().ToList();
        var current = keys.ToDictionary(k => k, _ => (StoredResource?)null);
        if (keys.Count == 0)
            return current;
        await using var read = Command(transaction, "");
        var lockStatement = LockStatement("@keys");
        if (lockStatement is not null)
            Add(read, "@keys", keys.Select(k => $"{k.Type}/{k.Id}").Order(StringComparer.Ordinal).ToArray());
        var byType = keys.GroupBy(k => k.Type).Select((group, g) =>
        {
            Add(read, $"@t{g}", group.Key);
            var ids = string.Join(", ", group.Select((k, i) => { Add(read, $"@i{g}_{i}", k.Id); return $"@i{g}_{i}"; }));
            return $"(r.resource_type = @t{g} AND r.id IN ({ids}))";
        });
        read.CommandText = (lockStatement is null ? "" : lockStatement + ";\n") +
            $"SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.is_deleted, {JsonText("h")} FROM {CurrentVersions} WHERE {string.Join(" OR ", byType)}";
        foreach (var row in await ReadAllAsync(read, ct, skipResults: lockStatement is null ? 0 : 1))
            current[(row.ResourceType, row.Id)] = row;
        return current;
    }

    /// <summary>Decides one write against the current version (updated in <paramref name="current"/>) and queues its new version, if any.</summary>
    private async Task<WriteResult> ApplyAsync(
        DbTransaction transaction, ResourceWrite write, Dictionary<(string Type, string Id), StoredResource?> current,
        List<(StoredResource Version, IReadOnlyList<IndexRow> Index)> stored, DateTimeOffset now, CancellationToken ct)
    {
        var key = (write.ResourceType, write.Id);
        var existing = write.Kind == WriteKind.Create ? null : current[key];
        if (write.IfMatchVersion is { } expected && (existing is null || existing.IsDeleted || existing.VersionId != expected))
        {
            throw new VersionConflictException(
                $"{write.ResourceType}/{write.Id} is at version {(existing is null ? "none" : existing.VersionId.ToString())}, not {expected}.");
        }

        if (write.Kind == WriteKind.Delete)
        {
            if (existing is null)
                return new WriteResult(WriteStatus.NotFound, new StoredResource(write.ResourceType, write.Id, 0, now, true, null));
            if (existing.IsDeleted)
                return new WriteResult(WriteStatus.Deleted, existing);
            var tombstone = new StoredResource(write.ResourceType, write.Id, existing.VersionId + 1, now, true, null);
            stored.Add((tombstone, []));
            current[key] = tombstone;
            return new WriteResult(WriteStatus.Deleted, tombstone);
        }

        var resource = write.Build is { } build
            ? await build(transaction, ct)
            : write.Resource ?? throw new ArgumentException("A create or upsert needs a resource.", nameof(write));
        resource.Id = write.Id;
        if (existing is { IsDeleted: false } && IsUnchanged(resource, existing))
            return new WriteResult(WriteStatus.Unchanged, existing);

        var version = (existing?.VersionId ?? 0) + 1;
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString();
        resource.Meta.LastUpdated = now;
        var next = new StoredResource(write.ResourceType, write.Id, version, now, false, _serializer.SerializeToString(resource));
        stored.Add((next, SearchParameters.Extract(resource)));
        if (write.Kind != WriteKind.Create)
            current[key] = next;
        return new WriteResult(existing is null or { IsDeleted: true } ? WriteStatus.Created : WriteStatus.Updated, next);
    }

    /// <summary>Equal but for meta.versionId and meta.lastUpdated, so re-writing the same content makes no new version.</summary>
    private bool IsUnchanged(Resource incoming, StoredResource current)
    {
        var candidate = (Resource)incoming.DeepCopy();
        candidate.Meta ??= new Meta();
        candidate.Meta.VersionId = current.VersionId.ToString();
        candidate.Meta.LastUpdated = current.LastUpdated;
        if (!candidate.IsExactly(_deserializer.DeserializeResource(current.Json!)))
            return false;
        incoming.Meta = candidate.Meta;
        return true;
    }

    /// <summary>
    /// Stores new versions in as few statements as the parameter budget allows: every version into resource_history (the JSON's
    /// only copy), the last one of each resource's number into resource, and that one's search values in place of the
    /// resource's earlier ones.
    /// </summary>
    private async System.Threading.Tasks.Task StoreVersionsAsync(
        DbTransaction transaction, IReadOnlyList<(StoredResource Version, IReadOnlyList<IndexRow> Index)> versions, CancellationToken ct)
    {
        if (versions.Count == 0)
            return;
        var byResource = versions.GroupBy(v => (v.Version.ResourceType, v.Version.Id)).ToList();
        var latest = byResource.Select(g => g.Last()).ToList();
        // Search rows to replace: only resources that had a version before this call (their first new version is not 1).
        var replaced = byResource.Where(g => g.First().Version.VersionId > 1).Select(g => g.Last()).ToList();
        var batch = new StatementBatch(transaction, MaxParametersPerCommand);
        string Row(StoredResource v) =>
            $"({batch.Parameter(v.ResourceType)}, {batch.Parameter(v.Id)}, {batch.Parameter(v.VersionId)}, {batch.Parameter(ToDb(v.LastUpdated))}, " +
            $"{batch.Parameter(v.IsDeleted)}, {JsonValue(batch.Parameter(v.Json))})";

        await batch.AddRowsAsync("INSERT INTO resource_history (resource_type, id, version_id, last_updated, is_deleted, content) VALUES ",
            versions, v => Row(v.Version), "", ct);
        await batch.AddRowsAsync("INSERT INTO resource (resource_type, id, version_id, last_updated, is_deleted) VALUES ",
            latest, v => $"({batch.Parameter(v.Version.ResourceType)}, {batch.Parameter(v.Version.Id)}, {batch.Parameter(v.Version.VersionId)}, " +
                         $"{batch.Parameter(ToDb(v.Version.LastUpdated))}, {batch.Parameter(v.Version.IsDeleted)})",
            " ON CONFLICT (resource_type, id) DO UPDATE SET version_id = excluded.version_id, last_updated = excluded.last_updated, " +
            "is_deleted = excluded.is_deleted", ct);
        await batch.AddRowsAsync("DELETE FROM search_index WHERE ", replaced,
            v => $"(resource_type = {batch.Parameter(v.Version.ResourceType)} AND resource_id = {batch.Parameter(v.Version.Id)})", "", ct, separator: " OR ");
        var index = latest.SelectMany(v => v.Index.Select(row => (v.Version, Row: row))).ToList();
        await batch.AddRowsAsync("INSERT INTO search_index (resource_type, resource_id, name, system, value, low, high) VALUES ", index,
            r => $"({batch.Parameter(r.Version.ResourceType)}, {batch.Parameter(r.Version.Id)}, {batch.Parameter(r.Row.Name)}, {batch.Parameter(r.Row.System)}, " +
                 $"{batch.Parameter(r.Row.Value)}, {batch.Parameter(r.Row.Low is { } low ? ToDb(low) : null)}, {batch.Parameter(r.Row.High is { } high ? ToDb(high) : null)})",
            "", ct);
        await batch.FlushAsync(ct);
    }

    /// <summary>
    /// The most parameters one command of a write carries (PostgreSQL allows 65,535 per statement, SQLite 32,766 variables).
    /// </summary>
    protected virtual int MaxParametersPerCommand => 30_000;

    /// <summary>
    /// Statements sent together in one command (one round trip), flushed before the parameter count reaches
    /// <see cref="MaxParametersPerCommand"/>. A statement's rows stay in order across flushes.
    /// </summary>
    private sealed class StatementBatch(DbTransaction transaction, int maxParameters)
    {
        private const int MaxRowsPerStatement = 500;
        private DbCommand _command = Command(transaction, "");
        private readonly StringBuilder _sql = new();

        public string Parameter(object? value)
        {
            var name = $"@p{_command.Parameters.Count}";
            Add(_command, name, value);
            return name;
        }

        /// <summary>One statement <paramref name="head"/> row, row, … <paramref name="tail"/>, split into several when long.</summary>
        public async System.Threading.Tasks.Task AddRowsAsync<T>(
            string head, IReadOnlyList<T> rows, Func<T, string> row, string tail, CancellationToken ct, string separator = ", ")
        {
            for (var i = 0; i < rows.Count;)
            {
                if (_command.Parameters.Count > maxParameters / 2)
                    await FlushAsync(ct);
                _sql.Append(head);
                for (var n = 0; i < rows.Count && n < MaxRowsPerStatement && _command.Parameters.Count < maxParameters; i++, n++)
                    _sql.Append(n == 0 ? "" : separator).Append(row(rows[i]));
                _sql.Append(tail).Append(";\n");
            }
        }

        public async System.Threading.Tasks.Task FlushAsync(CancellationToken ct)
        {
            if (_sql.Length > 0)
            {
                _command.CommandText = _sql.ToString();
                await _command.ExecuteNonQueryAsync(ct);
            }
            await _command.DisposeAsync();
            _command = Command(transaction, "");
            _sql.Clear();
        }
    }

    private string Where(SearchQuery query, DbCommand command)
    {
        var where = new StringBuilder("r.resource_type = @type AND NOT r.is_deleted");
        Add(command, "@type", query.ResourceType);
        var next = 0;
        string Parameter(object? value)
        {
            var name = $"@p{next++}";
            Add(command, name, value);
            return name;
        }

        // An indexed date's open end is null (a period without a start or end); r.last_updated never is, and a plain
        // comparison on it lets the (resource_type, last_updated) index bound the scan to the matching range.
        string DateCondition(string lowColumn, string highColumn, SearchValue value, bool openEnded = true)
        {
            var low = Parameter(value.Low is { } l ? ToDb(l) : null);
            var high = Parameter(value.High is { } h ? ToDb(h) : null);
            string OrOpen(string column) => openEnded ? $"{column} IS NULL OR " : "";
            return value.Prefix switch
            {
                "ne" => $"NOT ({lowColumn} >= {low} AND {highColumn} <= {high})",
                "gt" => $"({OrOpen(highColumn)}{highColumn} > {high})",
                "ge" => $"({OrOpen(highColumn)}{highColumn} >= {low})",
                "lt" => $"({OrOpen(lowColumn)}{lowColumn} < {low})",
                "le" => $"({OrOpen(lowColumn)}{lowColumn} <= {high})",
                "sa" => $"{lowColumn} > {high}",
                "eb" => $"{highColumn} < {low}",
                _ => $"{lowColumn} >= {low} AND {highColumn} <= {high}",
            };
        }

        string Condition(SearchCriterion criterion, SearchValue value) => (criterion.Name, criterion.Kind) switch
        {
            ("_id", _) => $"r.id = {Parameter(value.Code)}",
            ("_lastUpdated", _) => DateCondition("r.last_updated", "r.last_updated", value, openEnded: false),
            (_, SearchParamKind.Date) => DateCondition("s.low", "s.high", value),
            (_, SearchParamKind.Token) when value.System == "" => $"s.value = {Parameter(value.Code)} AND s.system IS NULL",
            (_, SearchParamKind.Token) when value.Code is null => $"s.system = {Parameter(value.System)}",
            _ when value.System is null => $"s.value = {Parameter(value.Code)}",
            _ => $"s.value = {Parameter(value.Code)} AND s.system = {Parameter(value.System)}",
        };

        foreach (var criterion in query.Criteria)
        {
            var anyOf = string.Join(" OR ", criterion.AnyOf.Select(value => $"({Condition(criterion, value)})"));
            if (criterion.Name.StartsWith('_'))
            {
                where.Append($" AND ({anyOf})");
            }
            else
            {
                where.Append(" AND EXISTS (SELECT 1 FROM search_index s WHERE s.resource_type = r.resource_type")
                    .Append($" AND s.resource_id = r.id AND s.name = {Parameter(criterion.Name)} AND ({anyOf}))");
            }
        }
        return where.ToString();
    }

    private async Task<IReadOnlyList<StoredResource>> ReadIncludedAsync(
        DbConnection connection, string resourceType, IReadOnlyList<string> includeParams,
        IReadOnlyList<StoredResource> matches, CancellationToken ct)
    {
        var targets = new List<(string Type, string Id)>();
        await using (var references = Command(connection, ""))
        {
            Add(references, "@type", resourceType);
            var names = string.Join(", ", includeParams.Select((name, i) => { Add(references, $"@n{i}", name); return $"@n{i}"; }));
            var ids = string.Join(", ", matches.Select((match, i) => { Add(references, $"@m{i}", match.Id); return $"@m{i}"; }));
            references.CommandText =
                "SELECT DISTINCT s.system, s.value FROM search_index s WHERE s.resource_type = @type " +
                $"AND s.name IN ({names}) AND s.resource_id IN ({ids}) AND s.system IS NOT NULL";
            await using var reader = await references.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                targets.Add((reader.GetString(0), reader.GetString(1)));
        }
        if (targets.Count == 0)
            return [];
        await using var select = Command(connection, "");
        var pairs = string.Join(" OR ", targets.Select((target, i) =>
        {
            Add(select, $"@t{i}", target.Type);
            Add(select, $"@i{i}", target.Id);
            return $"(r.resource_type = @t{i} AND r.id = @i{i})";
        }));
        select.CommandText =
            $"SELECT r.resource_type, r.id, r.version_id, r.last_updated, r.is_deleted, {JsonText("h")} FROM {CurrentVersions} " +
            $"WHERE NOT r.is_deleted AND ({pairs})";
        return await ReadAllAsync(select, ct);
    }

    private async Task<IReadOnlyList<StoredResource>> ReadAllAsync(DbCommand command, CancellationToken ct, int skipResults = 0)
    {
        var rows = new List<StoredResource>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        for (var i = 0; i < skipResults; i++)
            await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new StoredResource(
                reader.GetString(0), reader.GetString(1), reader.GetInt32(2), ReadTimestamp(reader, 3),
                reader.GetBoolean(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return rows;
    }

    private static async System.Threading.Tasks.Task ExecuteAsync(DbTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = Command(transaction, sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static DbCommand Command(DbTransaction transaction, string sql)
    {
        var command = Command(transaction.Connection!, sql);
        command.Transaction = transaction;
        return command;
    }

    private static DbCommand Command(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
