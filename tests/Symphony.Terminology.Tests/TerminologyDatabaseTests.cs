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
    public async Task A_corrupt_zip_is_refused_before_the_store_is_touched()
    {
        var zip = Path.Combine(Path.GetTempPath(), $"symphony-corrupt-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(zip, [0x50, 0x4B, 0x03, 0x04, 9, 9, 9]);
        try
        {
            await WithSqlite(async db =>
            {
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

    async Task ImportIsIdempotentAndRoundTrips(TerminologyDatabase db)
    {
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

    async Task FailedImportLeavesNothing(TerminologyDatabase db)
    {
        using var cancel = new CancellationTokenSource();
        // Fail half-way through the rows of the second version.
        var second = new CodeSystemVersion { Url = "http://example.org/cs", Version = "1", Name = "Example", Concepts = fixture.Cm.Concepts };
        var progress = new SynchronousProgress(p => { if (p.Step.StartsWith("Example", StringComparison.Ordinal) && p.Done >= 50_000) cancel.Cancel(); });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.ImportAsync(new TerminologyBundle("two", [fixture.Cm, second], []), progress, cancel.Token));

        Assert.Empty(await db.ListAsync());
    }

    sealed class SynchronousProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }

    static async Task WithSqlite(Func<TerminologyDatabase, Task> test)
    {
        var path = Path.Combine(Path.GetTempPath(), $"symphony-term-{Guid.NewGuid():N}.db");
        try
        {
            await test(TerminologyDatabase.Sqlite(path));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
        }
    }

    static async Task WithPostgres(Func<TerminologyDatabase, Task> test)
    {
        await using var database = await TemporaryPostgresDatabase.CreateAsync();
        await test(TerminologyDatabase.Postgres(database.ConnectionString));
    }
}
