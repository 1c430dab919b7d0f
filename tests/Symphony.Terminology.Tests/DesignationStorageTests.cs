using Microsoft.Data.Sqlite;
using Symphony.Terminology.Model;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Storage;

namespace Symphony.Terminology.Tests;

/// <summary>Designations with language and use survive the row store; rows written when designations were plain strings still read.</summary>
public class DesignationStorageTests
{
    static CodeSystemVersion Problems()
    {
        var htn = new Concept { Code = "HTN", Display = "Hypertension", IsBillable = true, Kind = "concept" };
        htn.Designations.Add(new Designation("hipertensión arterial", "es", "900000000000013009"));
        htn.Designations.Add(new Designation("high blood pressure"));
        return new CodeSystemVersion { Url = "http://example.org/fhir/CodeSystem/problems", Version = "1", Name = "Problems", Concepts = new Dictionary<string, Concept> { ["HTN"] = htn } };
    }

    [Fact]
    public async Task Designations_with_language_and_use_read_back_from_rows_and_old_string_rows_still_read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"symphony-designations-{Guid.NewGuid():N}.db");
        try
        {
            var db = TerminologyDatabase.Sqlite(path);
            var version = Problems();
            await db.ImportAsync(new TerminologyBundle("test", [version], []));

            var loaded = await db.LoadAsync(version.Url, version.Version);
            Assert.Equal(version.Find("HTN")!.Designations, loaded.Find("HTN")!.Designations);
            Assert.Equal(TerminologyChecksum.Of(version), TerminologyChecksum.Of(loaded));

            // As a row written before designations had language and use.
            await using (var connection = new SqliteConnection($"Data Source={path}"))
            {
                await connection.OpenAsync();
                await using var update = connection.CreateCommand();
                update.CommandText = "UPDATE term_concept SET detail = '{\"Designations\":[\"high blood pressure\"]}'";
                Assert.Equal(1, await update.ExecuteNonQueryAsync());
            }
            Assert.Equal([new Designation("high blood pressure")], (await db.LoadAsync(version.Url, version.Version)).Find("HTN")!.Designations);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
        }
    }
}
