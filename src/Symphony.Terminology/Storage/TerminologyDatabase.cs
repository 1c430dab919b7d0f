using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;

namespace Symphony.Terminology.Storage;

public enum ImportStatus { Imported, Unchanged, Replaced }

public sealed record ImportOutcome(string Kind, string Url, string? Version, ImportStatus Status, int Concepts, int IndexEntries);

public sealed record StoredVersion(string Url, string Version, string Name, DateOnly? EffectiveFrom, string Checksum, int Concepts, int IndexEntries, DateTimeOffset ImportedAt);

/// <summary>A stored version as compiled at load: from its snapshot, or rebuilt from its rows (then it has no current snapshot yet).</summary>
public sealed record LoadedVersion(StoredVersion Stored, CompiledCodeSystem Compiled, bool FromSnapshot, TimeSpan Elapsed);

/// <summary>Progress of an import: rows written so far out of the rows to write.</summary>
public readonly record struct ImportProgress(string Step, long Done, long Total);

/// <summary>
/// Terminology in the server's database, in its own tables (term_*): SQLite for the embedded default,
/// PostgreSQL in production (bulk written with binary COPY). An import is one transaction — a failure
/// leaves nothing behind — and idempotent: a version whose content checksum is already stored is left
/// as it is and reported Unchanged; the same version with other content is replaced.
/// Beside the rows, each version has a snapshot (term_snapshot): its compiled form as one compressed
/// blob, written at import and read back at start instead of the rows (see ADR-terminology.md).
/// </summary>
public sealed class TerminologyDatabase
{
    readonly string connectionString;
    readonly bool postgres;

    TerminologyDatabase(string connectionString, bool postgres)
    {
        this.connectionString = connectionString;
        this.postgres = postgres;
    }

    public static TerminologyDatabase Sqlite(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return new(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 60 }.ToString(), postgres: false);
    }

    public static TerminologyDatabase Postgres(string connectionString) => new(connectionString, postgres: true);

    /// <summary>A PostgreSQL connection string ("Host=...") or a SQLite file path / "Data Source=..." string.</summary>
    public static TerminologyDatabase Open(string connection) =>
        connection.Contains("Host=", StringComparison.OrdinalIgnoreCase) ? Postgres(connection)
        : Sqlite(connection.StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase) ? new SqliteConnectionStringBuilder(connection).DataSource : connection);

    public bool IsPostgres => postgres;

    async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        DbConnection connection = postgres ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        if (!postgres) await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", ct);
        return connection;
    }

    /// <summary>
    /// A read's transaction: one consistent view of the rows. On SQLite a deferred one, which takes no write lock
    /// (a plain BEGIN there is IMMEDIATE and would make every write of the server wait for the read).
    /// </summary>
    static async Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: true) : await connection.BeginTransactionAsync(ct);

    static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(ct);
    }

    static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }

    /// <summary>Set once this instance has made sure of the tables, so that later calls write nothing (on SQLite the
    /// seed INSERT, even when it changes nothing, waits for the database's write lock).</summary>
    bool schemaReady;

    public async Task EnsureSchemaAsync(CancellationToken ct = default)
    {
        if (schemaReady) return;
        await using var connection = await OpenAsync(ct);
        var id = postgres ? "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
        var boolean = postgres ? "boolean" : "integer";
        var timestamp = postgres ? "timestamptz" : "text";
        var blob = postgres ? "bytea" : "blob";
        var sql = $"""
            CREATE TABLE IF NOT EXISTS term_code_system_version (
                id {id},
                url text NOT NULL,
                version text NOT NULL,
                name text NOT NULL,
                effective_from text NULL,
                checksum text NOT NULL,
                concept_count integer NOT NULL,
                index_entry_count integer NOT NULL,
                imported_at {timestamp} NOT NULL,
                UNIQUE (url, version));
            CREATE TABLE IF NOT EXISTS term_concept (
                version_id bigint NOT NULL,
                seq integer NOT NULL,
                code text NOT NULL,
                display text NOT NULL,
                short_display text NULL,
                parent_code text NULL,
                kind text NOT NULL,
                billable {boolean} NOT NULL,
                detail text NULL,
                PRIMARY KEY (version_id, code));
            CREATE TABLE IF NOT EXISTS term_index_entry (
                version_id bigint NOT NULL,
                seq integer NOT NULL,
                index_name text NOT NULL,
                path text NOT NULL,
                code text NOT NULL,
                column_name text NULL,
                detail text NULL,
                PRIMARY KEY (version_id, seq));
            CREATE TABLE IF NOT EXISTS term_snapshot (
                version_id bigint PRIMARY KEY,
                format integer NOT NULL,
                data {blob} NOT NULL);
            CREATE TABLE IF NOT EXISTS term_value_set (
                url text PRIMARY KEY,
                version text NULL,
                checksum text NOT NULL,
                definition text NOT NULL,
                imported_at {timestamp} NOT NULL);
            CREATE TABLE IF NOT EXISTS term_generation (
                id integer PRIMARY KEY,
                generation bigint NOT NULL);
            INSERT INTO term_generation (id, generation) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
            """;
        if (postgres)
        {
            // Two servers starting together must not both create the tables.
            await using var tx = await connection.BeginTransactionAsync(ct);
            await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(7302114)", ct);
            await ExecuteAsync(connection, tx, sql, ct);
            await tx.CommitAsync(ct);
        }
        else
        {
            await ExecuteAsync(connection, null, sql, ct);
        }
        schemaReady = true;
    }

    public async Task<IReadOnlyList<ImportOutcome>> ImportAsync(TerminologyBundle bundle, IProgress<ImportProgress>? progress = null, CancellationToken ct = default)
    {
        await EnsureSchemaAsync(ct);
        var checksums = bundle.CodeSystems.Select(TerminologyChecksum.Of).ToList();
        var total = bundle.CodeSystems.Sum(v => (long)v.Concepts.Count + v.IndexEntries.Count);
        long done = 0;
        var outcomes = new List<ImportOutcome>();
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (postgres) await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(7302115)", ct);
        for (var i = 0; i < bundle.CodeSystems.Count; i++)
        {
            var version = bundle.CodeSystems[i];
            var rows = (long)version.Concepts.Count + version.IndexEntries.Count;
            var (existingId, existingChecksum) = await FindVersionAsync(connection, tx, version.Url, version.Version, ct);
            var status = existingId is null ? ImportStatus.Imported : existingChecksum == checksums[i] ? ImportStatus.Unchanged : ImportStatus.Replaced;
            if (status == ImportStatus.Unchanged)
            {
                // Stored before snapshots existed, or in an older snapshot format.
                if (!await HasSnapshotAsync(connection, tx, existingId!.Value, ct))
                    await WriteSnapshotAsync(connection, tx, existingId.Value, CompiledCodeSystem.Of(version), ct);
                done += rows;
                progress?.Report(new ImportProgress($"{version.Name} {version.Version} unchanged", done, total));
            }
            else
            {
                if (existingId is { } old) await DeleteVersionAsync(connection, tx, old, ct);
                var id = await InsertVersionAsync(connection, tx, version, checksums[i], ct);
                var step = $"{version.Name} {version.Version}";
                var before = done;
                if (postgres) await CopyRowsAsync((NpgsqlConnection)connection, id, version, n => progress?.Report(new ImportProgress(step, before + n, total)), ct);
                else await InsertRowsAsync(connection, tx, id, version, n => progress?.Report(new ImportProgress(step, before + n, total)), ct);
                progress?.Report(new ImportProgress($"{step} snapshot", before + rows, total));
                await WriteSnapshotAsync(connection, tx, id, CompiledCodeSystem.Of(version), ct);
                done += rows;
            }
            outcomes.Add(new ImportOutcome("CodeSystem", version.Url, version.Version, status, version.Concepts.Count, version.IndexEntries.Count));
        }
        foreach (var vs in bundle.ValueSets)
        {
            var checksum = TerminologyChecksum.Of(vs);
            await using var find = Command(connection, tx, "SELECT checksum FROM term_value_set WHERE url = @url", ("@url", vs.Url));
            var existing = await find.ExecuteScalarAsync(ct) as string;
            var status = existing is null ? ImportStatus.Imported : existing == checksum ? ImportStatus.Unchanged : ImportStatus.Replaced;
            if (status != ImportStatus.Unchanged)
            {
                await ExecuteAsync(connection, tx, "DELETE FROM term_value_set WHERE url = @url", ct, ("@url", vs.Url));
                await ExecuteAsync(connection, tx, "INSERT INTO term_value_set (url, version, checksum, definition, imported_at) VALUES (@url, @version, @checksum, @definition, @at)", ct,
                    ("@url", vs.Url), ("@version", vs.Version), ("@checksum", checksum), ("@definition", JsonSerializer.Serialize(vs)), ("@at", Now()));
            }
            outcomes.Add(new ImportOutcome("ValueSet", vs.Url, vs.Version, status, 0, 0));
        }
        // In the import's transaction: a process that sees the new generation finds the new content stored.
        if (outcomes.Any(o => o.Status != ImportStatus.Unchanged))
            await ExecuteAsync(connection, tx, "UPDATE term_generation SET generation = generation + 1 WHERE id = 1", ct);
        await tx.CommitAsync(ct);
        return outcomes;
    }

    /// <summary>
    /// The terminology generation: a number every import that stores or replaces something raises in its own
    /// transaction. A process that remembers it learns cheaply whether the stored terminology changed.
    /// </summary>
    public async Task<long> GenerationAsync(CancellationToken ct = default)
    {
        await EnsureSchemaAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, null, "SELECT generation FROM term_generation WHERE id = 1");
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }

    object Now() => postgres ? DateTimeOffset.UtcNow : DateTimeOffset.UtcNow.ToString("O");

    static async Task<(long? Id, string? Checksum)> FindVersionAsync(DbConnection connection, DbTransaction tx, string url, string version, CancellationToken ct)
    {
        await using var command = Command(connection, tx, "SELECT id, checksum FROM term_code_system_version WHERE url = @url AND version = @version", ("@url", url), ("@version", version));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.GetString(1)) : (null, null);
    }

    static async Task DeleteVersionAsync(DbConnection connection, DbTransaction tx, long id, CancellationToken ct)
    {
        foreach (var table in new[] { "term_concept", "term_index_entry", "term_snapshot" })
            await ExecuteAsync(connection, tx, $"DELETE FROM {table} WHERE version_id = @id", ct, ("@id", id));
        await ExecuteAsync(connection, tx, "DELETE FROM term_code_system_version WHERE id = @id", ct, ("@id", id));
    }

    async Task<long> InsertVersionAsync(DbConnection connection, DbTransaction tx, CodeSystemVersion version, string checksum, CancellationToken ct)
    {
        await using var command = Command(connection, tx, """
            INSERT INTO term_code_system_version (url, version, name, effective_from, checksum, concept_count, index_entry_count, imported_at)
            VALUES (@url, @version, @name, @from, @checksum, @concepts, @entries, @at) RETURNING id
            """,
            ("@url", version.Url), ("@version", version.Version), ("@name", version.Name), ("@from", version.EffectiveFrom?.ToString("yyyy-MM-dd")),
            ("@checksum", checksum), ("@concepts", version.Concepts.Count), ("@entries", version.IndexEntries.Count), ("@at", Now()));
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }

    static async Task<bool> HasSnapshotAsync(DbConnection connection, DbTransaction tx, long id, CancellationToken ct)
    {
        await using var command = Command(connection, tx, "SELECT count(*) FROM term_snapshot WHERE version_id = @id AND format = @format",
            ("@id", id), ("@format", CompiledCodeSystem.SnapshotFormat));
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct)) > 0;
    }

    static Task WriteSnapshotAsync(DbConnection connection, DbTransaction tx, long id, CompiledCodeSystem compiled, CancellationToken ct) =>
        ExecuteAsync(connection, tx, """
            INSERT INTO term_snapshot (version_id, format, data) VALUES (@id, @format, @data)
            ON CONFLICT (version_id) DO UPDATE SET format = excluded.format, data = excluded.data
            """, ct, ("@id", id), ("@format", CompiledCodeSystem.SnapshotFormat), ("@data", compiled.ToSnapshot()));

    /// <summary>
    /// Stores the snapshot of a version loaded from its rows, so the next start reads the snapshot. Written
    /// only while the stored version still has <paramref name="checksum"/> (another server may have replaced it).
    /// </summary>
    public async Task<bool> SaveSnapshotAsync(CompiledCodeSystem compiled, string checksum, CancellationToken ct = default)
    {
        var data = compiled.ToSnapshot();
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, null, """
            INSERT INTO term_snapshot (version_id, format, data)
            SELECT id, @format, @data FROM term_code_system_version WHERE url = @url AND version = @version AND checksum = @checksum
            ON CONFLICT (version_id) DO UPDATE SET format = excluded.format, data = excluded.data
            """,
            ("@format", CompiledCodeSystem.SnapshotFormat), ("@data", data), ("@url", compiled.Url), ("@version", compiled.Version.Version), ("@checksum", checksum));
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }

    const int ProgressEvery = 10_000;

    static async Task CopyRowsAsync(NpgsqlConnection connection, long id, CodeSystemVersion version, Action<long> progress, CancellationToken ct)
    {
        long n = 0;
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY term_concept (version_id, seq, code, display, short_display, parent_code, kind, billable, detail) FROM STDIN (FORMAT BINARY)", ct))
        {
            var seq = 0;
            foreach (var c in version.Concepts.Values)
            {
                writer.StartRow();
                writer.Write(id, NpgsqlDbType.Bigint);
                writer.Write(seq++, NpgsqlDbType.Integer);
                writer.Write(c.Code, NpgsqlDbType.Text);
                writer.Write(c.Display, NpgsqlDbType.Text);
                WriteText(writer, c.ShortDisplay);
                WriteText(writer, c.ParentCode);
                writer.Write(c.Kind, NpgsqlDbType.Text);
                writer.Write(c.IsBillable, NpgsqlDbType.Boolean);
                WriteText(writer, ConceptDetail.Serialize(c));
                if (++n % ProgressEvery == 0) progress(n);
            }
            await writer.CompleteAsync(ct);
        }
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY term_index_entry (version_id, seq, index_name, path, code, column_name, detail) FROM STDIN (FORMAT BINARY)", ct))
        {
            var seq = 0;
            foreach (var e in version.IndexEntries)
            {
                writer.StartRow();
                writer.Write(id, NpgsqlDbType.Bigint);
                writer.Write(seq++, NpgsqlDbType.Integer);
                writer.Write(e.Index, NpgsqlDbType.Text);
                writer.Write(IndexEntryDetail.JoinPath(e.Path), NpgsqlDbType.Text);
                writer.Write(e.Code, NpgsqlDbType.Text);
                WriteText(writer, e.Column);
                WriteText(writer, IndexEntryDetail.Serialize(e));
                if (++n % ProgressEvery == 0) progress(n);
            }
            await writer.CompleteAsync(ct);
        }
        progress(n);
    }

    static void WriteText(NpgsqlBinaryImporter writer, string? value)
    {
        if (value is null) writer.WriteNull();
        else writer.Write(value, NpgsqlDbType.Text);
    }

    static async Task InsertRowsAsync(DbConnection connection, DbTransaction tx, long id, CodeSystemVersion version, Action<long> progress, CancellationToken ct)
    {
        long n = 0;
        await using (var command = Command(connection, tx,
            "INSERT INTO term_concept (version_id, seq, code, display, short_display, parent_code, kind, billable, detail) VALUES (@v, @seq, @code, @display, @short, @parent, @kind, @billable, @detail)",
            ("@v", id), ("@seq", 0), ("@code", ""), ("@display", ""), ("@short", null), ("@parent", null), ("@kind", ""), ("@billable", 0), ("@detail", null)))
        {
            command.Prepare();
            var p = command.Parameters;
            var seq = 0;
            foreach (var c in version.Concepts.Values)
            {
                p[1].Value = seq++;
                p[2].Value = c.Code;
                p[3].Value = c.Display;
                p[4].Value = (object?)c.ShortDisplay ?? DBNull.Value;
                p[5].Value = (object?)c.ParentCode ?? DBNull.Value;
                p[6].Value = c.Kind;
                p[7].Value = c.IsBillable ? 1 : 0;
                p[8].Value = (object?)ConceptDetail.Serialize(c) ?? DBNull.Value;
                await command.ExecuteNonQueryAsync(ct);
                if (++n % ProgressEvery == 0) progress(n);
            }
        }
        await using (var command = Command(connection, tx,
            "INSERT INTO term_index_entry (version_id, seq, index_name, path, code, column_name, detail) VALUES (@v, @seq, @index, @path, @code, @column, @detail)",
            ("@v", id), ("@seq", 0), ("@index", ""), ("@path", ""), ("@code", ""), ("@column", null), ("@detail", null)))
        {
            command.Prepare();
            var p = command.Parameters;
            var seq = 0;
            foreach (var e in version.IndexEntries)
            {
                p[1].Value = seq++;
                p[2].Value = e.Index;
                p[3].Value = IndexEntryDetail.JoinPath(e.Path);
                p[4].Value = e.Code;
                p[5].Value = (object?)e.Column ?? DBNull.Value;
                p[6].Value = (object?)IndexEntryDetail.Serialize(e) ?? DBNull.Value;
                await command.ExecuteNonQueryAsync(ct);
                if (++n % ProgressEvery == 0) progress(n);
            }
        }
        progress(n);
    }

    public async Task<IReadOnlyList<StoredVersion>> ListAsync(CancellationToken ct = default)
    {
        await EnsureSchemaAsync(ct);
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, null,
            "SELECT url, version, name, effective_from, checksum, concept_count, index_entry_count, imported_at FROM term_code_system_version ORDER BY url, effective_from, version");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<StoredVersion>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new StoredVersion(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : DateOnly.Parse(reader.GetString(3)), reader.GetString(4), reader.GetInt32(5), reader.GetInt32(6),
                postgres ? reader.GetFieldValue<DateTimeOffset>(7) : DateTimeOffset.Parse(reader.GetString(7))));
        }
        return list;
    }

    /// <summary>
    /// Every stored version, compiled: from its snapshot when it has one in the current format, else from its
    /// rows. Versions load side by side, one per processor; <paramref name="loaded"/> hears of each as it is done.
    /// </summary>
    public async Task<IReadOnlyList<LoadedVersion>> LoadAllAsync(Action<LoadedVersion>? loaded = null, CancellationToken ct = default)
    {
        var stored = await ListAsync(ct);
        var results = new LoadedVersion[stored.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct };
        await Parallel.ForEachAsync(Enumerable.Range(0, stored.Count), options, async (i, token) =>
        {
            var clock = Stopwatch.StartNew();
            var (compiled, fromSnapshot) = await LoadCompiledCoreAsync(stored[i].Url, stored[i].Version, token);
            results[i] = new LoadedVersion(stored[i], compiled, fromSnapshot, clock.Elapsed);
            loaded?.Invoke(results[i]);
        });
        return results;
    }

    /// <summary>A stored version, compiled: from its snapshot when it has a current one, else from its rows.</summary>
    public async Task<CompiledCodeSystem> LoadCompiledAsync(string url, string version, CancellationToken ct = default)
    {
        await EnsureSchemaAsync(ct);
        return (await LoadCompiledCoreAsync(url, version, ct)).Compiled;
    }

    async Task<(CompiledCodeSystem Compiled, bool FromSnapshot)> LoadCompiledCoreAsync(string url, string version, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await BeginReadAsync(connection, ct);
        var (id, name, effectiveFrom, snapshot) = await ReadHeadAsync(connection, tx, url, version, withSnapshot: true, ct);
        var compiled = snapshot is null ? null : CompiledCodeSystem.FromSnapshot(snapshot, url, version);
        var fromSnapshot = compiled is not null;
        compiled ??= CompiledCodeSystem.Of(await ReadRowsAsync(connection, tx, id, url, version, name, effectiveFrom, ct));
        await tx.CommitAsync(ct);
        return (compiled, fromSnapshot);
    }

    /// <summary>Rebuilds a stored code system version from its rows (concepts in load order, children re-linked, index entries).</summary>
    public async Task<CodeSystemVersion> LoadAsync(string url, string version, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await BeginReadAsync(connection, ct);
        var (id, name, effectiveFrom, _) = await ReadHeadAsync(connection, tx, url, version, withSnapshot: false, ct);
        var loaded = await ReadRowsAsync(connection, tx, id, url, version, name, effectiveFrom, ct);
        await tx.CommitAsync(ct);
        return loaded;
    }

    static async Task<(long Id, string Name, DateOnly? EffectiveFrom, byte[]? Snapshot)> ReadHeadAsync(
        DbConnection connection, DbTransaction tx, string url, string version, bool withSnapshot, CancellationToken ct)
    {
        await using var head = withSnapshot
            ? Command(connection, tx, """
                SELECT v.id, v.name, v.effective_from, s.data FROM term_code_system_version v
                LEFT JOIN term_snapshot s ON s.version_id = v.id AND s.format = @format
                WHERE v.url = @url AND v.version = @version
                """, ("@url", url), ("@version", version), ("@format", CompiledCodeSystem.SnapshotFormat))
            : Command(connection, tx, "SELECT id, name, effective_from, NULL FROM term_code_system_version WHERE url = @url AND version = @version",
                ("@url", url), ("@version", version));
        await using var reader = await head.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw new KeyNotFoundException($"{url} version {version} is not stored");
        return (reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : DateOnly.Parse(reader.GetString(2)),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3));
    }

    async Task<CodeSystemVersion> ReadRowsAsync(DbConnection connection, DbTransaction tx, long id, string url, string version, string name, DateOnly? effectiveFrom, CancellationToken ct)
    {
        var concepts = new Dictionary<string, Concept>(StringComparer.Ordinal);
        await using (var command = Command(connection, tx, "SELECT code, display, short_display, parent_code, kind, billable, detail FROM term_concept WHERE version_id = @id ORDER BY seq", ("@id", id)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var concept = new Concept
                {
                    Code = reader.GetString(0),
                    Display = reader.GetString(1),
                    ShortDisplay = reader.IsDBNull(2) ? null : reader.GetString(2),
                    ParentCode = reader.IsDBNull(3) ? null : reader.GetString(3),
                    Kind = reader.GetString(4),
                    IsBillable = postgres ? reader.GetBoolean(5) : reader.GetInt64(5) != 0,
                };
                if (!reader.IsDBNull(6)) ConceptDetail.Apply(reader.GetString(6), concept);
                concepts.Add(concept.Code, concept);
            }
        }
        foreach (var c in concepts.Values)
            if (c.ParentCode is not null && concepts.TryGetValue(c.ParentCode, out var parent)) parent.Children.Add(c.Code);
        var entries = new List<IndexEntry>();
        await using (var command = Command(connection, tx, "SELECT index_name, path, code, column_name, detail FROM term_index_entry WHERE version_id = @id ORDER BY seq", ("@id", id)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                entries.Add(IndexEntryDetail.Read(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }
        return new CodeSystemVersion { Url = url, Version = version, Name = name, EffectiveFrom = effectiveFrom, Concepts = concepts, IndexEntries = entries };
    }

    public async Task<IReadOnlyList<ValueSetDefinition>> LoadValueSetsAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, null, "SELECT definition FROM term_value_set ORDER BY url");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<ValueSetDefinition>();
        while (await reader.ReadAsync(ct)) list.Add(JsonSerializer.Deserialize<ValueSetDefinition>(reader.GetString(0))!);
        return list;
    }

    /// <summary>Drops the term_* tables (tests and "start over").</summary>
    public async Task DropAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, null, "DROP TABLE IF EXISTS term_concept; DROP TABLE IF EXISTS term_index_entry; DROP TABLE IF EXISTS term_snapshot; DROP TABLE IF EXISTS term_code_system_version; DROP TABLE IF EXISTS term_value_set; DROP TABLE IF EXISTS term_generation;", ct);
        schemaReady = false;
    }
}
