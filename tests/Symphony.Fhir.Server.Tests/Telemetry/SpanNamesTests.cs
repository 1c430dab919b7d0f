using Symphony.Fhir.Server.Telemetry;

namespace Symphony.Fhir.Server.Tests.Telemetry;

/// <summary>Statement span names from the SQL the store and the coding jobs send (values and conditions left out).</summary>
public sealed class SpanNamesTests
{
    [Theory]
    [InlineData("INSERT INTO resource_history (resource_type, id, version_id, last_updated, is_deleted, content) VALUES (@p0, @p1, @p2, @p3, @p4, @p5::jsonb);\nINSERT INTO resource (resource_type, id, version_id, last_updated, is_deleted) VALUES (@p6, @p7, @p8, @p9, @p10) ON CONFLICT (resource_type, id) DO UPDATE SET version_id = excluded.version_id",
        "INSERT resource_history; INSERT resource")]
    [InlineData("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(@keys::text[]) AS k;\nSELECT r.resource_type, r.id FROM resource r JOIN resource_history h ON h.id = r.id WHERE r.resource_type = @type",
        "SELECT pg_advisory_xact_lock; SELECT resource")]
    [InlineData("UPDATE coding_request SET status = 'running', claim_token = @token WHERE id IN (SELECT id FROM coding_request WHERE status = 'pending' ORDER BY created_at LIMIT @max FOR UPDATE SKIP LOCKED) RETURNING id",
        "UPDATE coding_request")]
    [InlineData("SELECT COUNT(*) FROM resource r WHERE r.resource_type = @type AND EXISTS (SELECT 1 FROM search_index s WHERE s.resource_id = r.id)", "SELECT resource")]
    [InlineData("DELETE FROM search_index WHERE resource_type = @type AND resource_id = @id;\nINSERT INTO search_index (resource_type) VALUES (@p0);\nINSERT INTO search_index (resource_type) VALUES (@p1);\nUPDATE coding_request SET status = 'done';\nINSERT INTO coding_decision (id) VALUES (@id)",
        "DELETE search_index; INSERT search_index; UPDATE coding_request; +1")]
    [InlineData("\n        INSERT INTO \"hangfire\".\"jobqueue\" (\"jobid\", \"queue\") \n        VALUES (@JobId, @Queue);\n      ", "INSERT hangfire.jobqueue")]
    [InlineData("WITH \"s\" AS (INSERT INTO \"hangfire\".\"state\" (\"jobid\") VALUES (@JobId) RETURNING \"id\") UPDATE \"hangfire\".\"job\" \"j\" SET \"stateid\" = \"s\".\"id\"", "WITH hangfire.state")]
    [InlineData("CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY)", "CREATE")]
    public void GivenStatements_WhenNamed_ThenTheNameSaysWhatTheyDoToWhichTable(string sql, string expected) =>
        Assert.Equal(expected, SpanNames.Statement(sql));

    [Fact]
    public void GivenNoStatement_WhenNamed_ThenThereIsNoName() => Assert.Null(SpanNames.Statement(" ; -- nothing"));
}
