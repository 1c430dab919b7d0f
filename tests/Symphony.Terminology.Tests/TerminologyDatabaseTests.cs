using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;

namespace Symphony.Terminology.Tests;

public class TerminologyDatabaseTests(Icd10Cm2021Fixture fixture) : IClassFixture<Icd10Cm2021Fixture>
{
    readonly TerminologyBundle fy2021 = new("FY2021", [fixture.Cm], []);

    [Fact]
    public Task Sqlite_import_is_idempotent_and_round_trips() => WithSqlite(ImportIsIdempotentAndRoundTrips);

    [PostgresFact]
    public Task Postgres_import_is_idempotent_and_round_trips() => WithPostgres(ImportIsIdempotentAndRoundTrips);

    [Fact]
    public Task Sqlite_failed_import_leaves_nothing() => WithSqlite(FailedImportLeavesNothing);

    [PostgresFact]
    public Task Postgres_failed_import_leaves_nothing() => WithPostgres(FailedImportLeavesNothing);

    [Fact]
    public Task Sqlite_GivenAnImportedVersion_WhenEveryStoredVersionLoads_ThenItComesFromItsSnapshotWithTheAnswersOfItsRows() => WithSqlite(SnapshotIsLoadedAndAnswersAsRows);

    [PostgresFact]
    public Task Postgres_GivenAnImportedVersion_WhenEveryStoredVersionLoads_ThenItComesFromItsSnapshotWithTheAnswersOfItsRows() => WithPostgres(SnapshotIsLoadedAndAnswersAsRows);

    [Fact]
    public Task Sqlite_GivenADamagedOldOrMissingSnapshot_WhenLoaded_ThenTheRowsAnswerAndTheSnapshotIsWrittenAgain() => WithSqlite(DamagedOldOrMissingSnapshotFallsBackToRows);

    [PostgresFact]
    public Task Postgres_GivenADamagedOldOrMissingSnapshot_WhenLoaded_ThenTheRowsAnswerAndTheSnapshotIsWrittenAgain() => WithPostgres(DamagedOldOrMissingSnapshotFallsBackToRows);

    [Fact]
    public Task Sqlite_GivenAnotherConnectionInTheMiddleOfAWrite_WhenAVersionLoads_ThenTheLoadNeitherWaitsForItNorBlocksIt() => WithSqlite(async store =>
    {
        var db = store.Db;
        await db.ImportAsync(fy2021);
        await using var writer = store.Connect();
        await writer.OpenAsync();
        await using var write = await writer.BeginTransactionAsync(); // BEGIN IMMEDIATE: the database's write lock
        await using (var command = writer.CreateCommand())
        {
            command.Transaction = write;
            command.CommandText = "UPDATE term_generation SET generation = generation + 1 WHERE id = 1";
            await command.ExecuteNonQueryAsync();
        }

        // A load that wanted the write lock would wait for it (the store's busy timeout is a minute) and then fail.
        var compiled = await db.LoadCompiledAsync(fixture.Cm.Url, fixture.Cm.Version).WaitAsync(TimeSpan.FromSeconds(30));
        var rows = await db.LoadAsync(fixture.Cm.Url, fixture.Cm.Version).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(fixture.Cm.Concepts.Count, rows.Concepts.Count);
        Assert.NotNull(compiled);
        await write.CommitAsync();
    });

    [Fact]
    public async Task A_corrupt_zip_is_refused_before_the_store_is_touched()
    {
        var zip = Path.Combine(Path.GetTempPath(), $"symphony-corrupt-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(zip, [0x50, 0x4B, 0x03, 0x04, 9, 9, 9]);
        try
        {
            await WithSqlite(async store =>
            {
                var db = store.Db;
                await db.ImportAsync(fy2021);
                var before = await db.ListAsync();
                Assert.Throws<InvalidDataException>(() => TerminologySource.Read(zip));
                Assert.Equal(before, await db.ListAsync());
            });
        }
        finally
        {
            File.Delete(zip);
        }
    }

    async Task ImportIsIdempotentAndRoundTrips(Store store)
    {
        var db = store.Db;
        var first = Assert.Single(await db.ImportAsync(fy2021));
        Assert.Equal(ImportStatus.Imported, first.Status);
        Assert.Equal(fixture.Cm.Concepts.Count, first.Concepts);
        var again = Assert.Single(await db.ImportAsync(fy2021));
        Assert.Equal(ImportStatus.Unchanged, again.Status);

        var stored = Assert.Single(await db.ListAsync());
        Assert.Equal(("2021", new DateOnly(2020, 10, 1)), (stored.Version, stored.EffectiveFrom));

        var loaded = await db.LoadAsync(Icd10CmLoader.Url, "2021");
        Assert.Equal(TerminologyChecksum.Of(fixture.Cm), TerminologyChecksum.Of(loaded));
        Assert.Equal(fixture.Cm.Find("E11")!.Children, loaded.Find("E11")!.Children);
        Assert.Equal(fixture.Cm.Find("S52")!.SeventhCharacters, loaded.Find("S52")!.SeventhCharacters);

        var service = new TerminologyService();
        service.Add(loaded);
        Assert.True(service.ValidateCode(Icd10CmLoader.Url, "S52.521A").Result);
    }

    async Task FailedImportLeavesNothing(Store store)
    {
        var db = store.Db;
        using var cancel = new CancellationTokenSource();
        // Fail half-way through the rows of the second version.
        var second = new CodeSystemVersion { Url = "http://example.org/cs", Version = "1", Name = "Example", Concepts = fixture.Cm.Concepts };
        var progress = new SynchronousProgress(p => { if (p.Step.StartsWith("Example", StringComparison.Ordinal) && p.Done >= 50_000) cancel.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.ImportAsync(new TerminologyBundle("two", [fixture.Cm, second], []), progress, cancel.Token));

        Assert.Empty(await db.ListAsync());
    }

    async Task SnapshotIsLoadedAndAnswersAsRows(Store store)
    {
        var small = new CodeSystemVersion
        {
            Url = "http://example.org/wards", Version = "1", Name = "Wards",
            Concepts = new Dictionary<string, Concept> { ["ICU"] = new() { Code = "ICU", Display = "Intensive care unit", Kind = "concept", IsBillable = true } },
        };
        await store.Db.ImportAsync(new TerminologyBundle("two", [fixture.Cm, small], []));

        var loaded = await store.Db.LoadAllAsync();

        Assert.Equal([(small.Url, "1", true), (fixture.Cm.Url, "2021", true)], loaded.Select(l => (l.Stored.Url, l.Stored.Version, l.FromSnapshot)).Order());
        var fromSnapshot = loaded.Single(l => l.Stored.Url == fixture.Cm.Url).Compiled;
        var fromRows = new CompiledCodeSystem(await store.Db.LoadAsync(fixture.Cm.Url, "2021"));
        SnapshotTests.AssertSameContent(fromRows, fromSnapshot);
        Assert.Equal(Answers.Of(fromRows), Answers.Of(fromSnapshot));
        Assert.Equal("Intensive care unit", (await store.Db.LoadCompiledAsync(small.Url, "1")).Find("ICU")!.Display);
    }

    async Task DamagedOldOrMissingSnapshotFallsBackToRows(Store store)
    {
        var db = store.Db;
        await db.ImportAsync(fy2021);
        var expected = Answers.Of(new CompiledCodeSystem(fixture.Cm));

        // Damaged: the rows answer; once the server writes the snapshot again, the next load reads it.
        await store.RewriteSnapshotsAsync(SnapshotTests.Damaged);
        var damaged = Assert.Single(await db.LoadAllAsync());
        Assert.False(damaged.FromSnapshot);
        Assert.Equal(expected, Answers.Of(damaged.Compiled));
        Assert.True(await db.SaveSnapshotAsync(damaged.Compiled, damaged.Stored.Checksum));
        Assert.True(Assert.Single(await db.LoadAllAsync()).FromSnapshot);

        // Written by another snapshot format: not read.
        await store.ExecuteAsync($"UPDATE term_snapshot SET format = {CompiledCodeSystem.SnapshotFormat - 1}");
        var old = Assert.Single(await db.LoadAllAsync());
        Assert.False(old.FromSnapshot);
        Assert.Equal(expected, Answers.Of(old.Compiled));

        // Stored before snapshots existed: importing the same release again is a no-op on the rows and writes the snapshot.
        await store.ExecuteAsync("DELETE FROM term_snapshot");
        Assert.False(Assert.Single(await db.LoadAllAsync()).FromSnapshot);
        Assert.Equal(ImportStatus.Unchanged, Assert.Single(await db.ImportAsync(fy2021)).Status);
        var again = Assert.Single(await db.LoadAllAsync());
        Assert.True(again.FromSnapshot);
        Assert.Equal(expected, Answers.Of(again.Compiled));

        // A snapshot is only saved over the content it was made from.
        Assert.False(await db.SaveSnapshotAsync(again.Compiled, "another checksum"));
    }

    sealed class SynchronousProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }

    /// <summary>A terminology store and a plain connection to its database, to change what the store wrote.</summary>
    internal sealed record Store(TerminologyDatabase Db, Func<DbConnection> Connect)
    {
        public async Task ExecuteAsync(string sql)
        {
            await using var connection = Connect();
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        public async Task RewriteSnapshotsAsync(Func<byte[], byte[]> change)
        {
            await using var connection = Connect();
            await connection.OpenAsync();
            var snapshots = new List<(long Id, byte[] Data)>();
            await using (var select = connection.CreateCommand())
            {
                select.CommandText = "SELECT version_id, data FROM term_snapshot";
                await using var reader = await select.ExecuteReaderAsync();
                while (await reader.ReadAsync()) snapshots.Add((reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));
            }
            Assert.NotEmpty(snapshots);
            foreach (var (id, data) in snapshots)
            {
                await using var update = connection.CreateCommand();
                update.CommandText = $"UPDATE term_snapshot SET data = @data WHERE version_id = {id}";
                var p = update.CreateParameter();
                p.ParameterName = "@data";
                p.Value = change(data);
                update.Parameters.Add(p);
                await update.ExecuteNonQueryAsync();
            }
        }
    }

    static async Task WithSqlite(Func<Store, Task> test)
    {
        var path = Path.Combine(Path.GetTempPath(), $"symphony-term-{Guid.NewGuid():N}.db");
        try
        {
            await test(new Store(TerminologyDatabase.Sqlite(path), () => new SqliteConnection($"Data Source={path}")));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
        }
    }

    static async Task WithPostgres(Func<Store, Task> test)
    {
        await using var database = await TemporaryPostgresDatabase.CreateAsync();
        await test(new Store(TerminologyDatabase.Postgres(database.ConnectionString), () => new NpgsqlConnection(database.ConnectionString)));
    }
}
