using Microsoft.Data.Sqlite;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Storage;

namespace Symphony.Terminology.Tests;

public class TerminologyGenerationTests
{
    static CodeSystemVersion Small(string version, string display = "Pneumonia, unspecified organism") => new()
    {
        Url = Icd10CmLoader.Url,
        Version = version,
        Name = "ICD-10-CM",
        EffectiveFrom = Icd10CmLoader.FiscalYearStart(version),
        Concepts = new Dictionary<string, Concept> { ["J18.9"] = new() { Code = "J18.9", Display = display, IsBillable = true } },
    };

    [Fact]
    public async Task GivenAStore_WhenImportsStoreReplaceOrRepeatAVersion_ThenOnlyTheChangesRaiseTheGeneration()
    {
        var path = Path.Combine(Path.GetTempPath(), $"symphony-term-{Guid.NewGuid():N}.db");
        try
        {
            var db = TerminologyDatabase.Sqlite(path);
            var start = await db.GenerationAsync();

            await db.ImportAsync(new TerminologyBundle("first", [Small("2024")], []));
            var afterImport = await db.GenerationAsync();
            await db.ImportAsync(new TerminologyBundle("same again", [Small("2024")], []));
            var afterSame = await db.GenerationAsync();
            await db.ImportAsync(new TerminologyBundle("replaced", [Small("2024", "Pneumonia")], []));
            var afterReplace = await db.GenerationAsync();

            Assert.Equal(start + 1, afterImport);
            Assert.Equal(afterImport, afterSame);
            Assert.Equal(afterImport + 1, afterReplace);
            // Another process (another store object over the same file) reads the same number.
            Assert.Equal(afterReplace, await TerminologyDatabase.Sqlite(path).GenerationAsync());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
        }
    }
}
