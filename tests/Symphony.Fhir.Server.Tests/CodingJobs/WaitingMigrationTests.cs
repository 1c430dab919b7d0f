using System.Data.Common;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>Upgrading a database whose notes failed for want of their Encounter, before notes could wait for it.</summary>
public abstract class WaitingMigrationTests : IAsyncLifetime
{
    const string Migration = "0013_coding_request_waiting";
    TestBackend? _backend;

    protected abstract Task<TestBackend> CreateBackendAsync();

    public async Task InitializeAsync() => _backend = await CreateBackendAsync();

    public async Task DisposeAsync()
    {
        if (_backend is not null) await _backend.DisposeAsync();
    }

    [BackendFact]
    public async Task GivenANoteThatFailedBecauseItsEncounterWasNotStoredYet_WhenTheDatabaseIsUpgraded_ThenItIsCodedAgainWhileOtherFailuresStay()
    {
        var before = _backend!.CreateStore();
        await before.MigrateAsync();
        await before.WriteAsync([], async (tx, ct) =>
        {
            // Back to the schema before the migration, with what the earlier server recorded.
            await ExecuteAsync(tx, $"DELETE FROM schema_migrations WHERE version = '{Migration}'", ct);
            await ExecuteAsync(tx, "DROP INDEX ix_coding_request_waiting_for", ct);
            await ExecuteAsync(tx, "ALTER TABLE coding_request DROP COLUMN waiting_for", ct);
            await ExecuteAsync(tx, $"""
                INSERT INTO coding_request (id, focus_type, focus_id, focus_version, status, attempts, created_at, updated_at, error) VALUES
                ('code-waited', 'DocumentReference', 'waited', 1, 'failed', 1, 0, 0, 'Encounter/e1 (the note''s context.encounter) is not stored yet; the note is coded when it arrives.'),
                ('code-unreadable', 'DocumentReference', 'unreadable', 1, 'failed', 1, 0, 0, 'Cannot read a note of type application/pdf.')
                """, ct);
        });

        var upgraded = _backend.CreateStore();
        await upgraded.MigrateAsync();

        var requests = new CodingRequests(upgraded, Options.Create(new CodingJobOptions()));
        var waited = (await requests.GetAsync("code-waited", default))!;
        Assert.Equal((CodingRequestStatus.Pending, 0, null), (waited.Status, waited.Attempts, waited.Error));
        Assert.Equal(CodingRequestStatus.Failed, (await requests.GetAsync("code-unreadable", default))!.Status);
    }

    static async Task ExecuteAsync(DbTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = tx.Connection!.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }
}

public sealed class SqliteWaitingMigrationTests : WaitingMigrationTests
{
    protected override Task<TestBackend> CreateBackendAsync() => Task.FromResult<TestBackend>(new SqliteTestBackend());
}

public sealed class PostgresWaitingMigrationTests : WaitingMigrationTests
{
    protected override async Task<TestBackend> CreateBackendAsync()
    {
        var backend = new PostgresTestBackend();
        await backend.CreateAsync();
        return backend;
    }
}
