using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Telemetry;

namespace Symphony.Fhir.Server.CodingJobs;

public static class CodingRequestStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    /// <summary>A note whose Encounter is not stored: not claimable until the Encounter's write re-opens it (waiting_for).</summary>
    public const string Waiting = "waiting";
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// A row of coding_request: what to code (the focus) and how far it got; <paramref name="TraceParent"/> is the W3C trace
/// context of the request that recorded it, which the coding job's span continues.
/// </summary>
public sealed record CodingRequest(
    string Id, string FocusType, string FocusId, int FocusVersion, string Status, int Attempts,
    string? ClaimToken, string? Error, string? WrittenIds, string? Result, string? Mode = null, string? WaitingFor = null, string? TraceParent = null)
{
    public string FocusReference => $"{FocusType}/{FocusId}";

    /// <summary>The claim that handed this request to a worker (not a column): when, and with how many others.</summary>
    public ClaimWindow? Claim { get; init; }
}

public sealed record ClaimWindow(DateTimeOffset Started, DateTimeOffset Ended, int BatchSize);

/// <summary>The Encounter a note waits for was stored while the note decided to wait: its coding starts over.</summary>
public sealed class EncounterArrived(string encounterId) : Exception($"Encounter/{encounterId} was stored meanwhile");

/// <summary>A note's last coded result: the note, the version that was coded, and the $code answer (Parameters JSON).</summary>
public sealed record CodedNote(string DocumentId, int Version, string ResultJson);

/// <summary>
/// The coding_request table, reached through the store's own transactions (its migration lives with the
/// store's). Requests are claimed with a lease: a worker that dies leaves them to be claimed again once
/// the lease runs out, and the deterministic write-back makes the second run write the same resources.
/// </summary>
public sealed class CodingRequests(IResourceStore store, Microsoft.Extensions.Options.IOptions<CodingJobOptions> options)
{
    const string Columns = "id, focus_type, focus_id, focus_version, status, attempts, claim_token, error, written_ids, result, mode, waiting_for, trace_parent";

    /// <summary>One request per focus resource: a new version of the note re-opens the same request (and its Task).</summary>
    public static string IdFor(string focusType, string focusId) =>
        "code-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{focusType}/{focusId}")))[..32];

    /// <summary>
    /// Records (or re-opens for a new version) the request inside the caller's transaction. A <paramref name="mode"/>
    /// (embedded, agent, hybrid) asked for explicitly also re-opens a request last coded another way; null means the
    /// server's Coding:Mode.
    /// </summary>
    public static async Task RecordAsync(DbTransaction tx, string focusType, string focusId, int focusVersion, CancellationToken ct, string? mode = null)
    {
        var now = Now();
        await ExecuteAsync(tx, """
            INSERT INTO coding_request (id, focus_type, focus_id, focus_version, status, attempts, created_at, updated_at, mode, trace_parent)
            VALUES (@id, @type, @focus, @version, 'pending', 0, @now, @now, @mode, @trace)
            ON CONFLICT (id) DO UPDATE SET focus_version = excluded.focus_version, status = 'pending', attempts = 0,
                claim_token = NULL, lease_until = NULL, error = NULL, waiting_for = NULL, updated_at = excluded.updated_at, mode = excluded.mode,
                trace_parent = excluded.trace_parent
            WHERE coding_request.focus_version <> excluded.focus_version OR coding_request.status IN ('failed', 'cancelled')
                OR (excluded.mode IS NOT NULL AND (coding_request.mode IS NULL OR coding_request.mode <> excluded.mode))
            """, ct, ("@id", IdFor(focusType, focusId)), ("@type", focusType), ("@focus", focusId), ("@version", focusVersion), ("@now", now), ("@mode", mode),
            ("@trace", CodingTelemetry.CurrentTraceParent()));
    }

    /// <summary>
    /// Parks a claimed note request until Encounter <paramref name="encounterId"/> is stored, inside the transaction that
    /// writes its on-hold Task; false if it was cancelled or re-opened meanwhile. Throws <see cref="EncounterArrived"/> (the
    /// caller rolls back and codes it again) if the Encounter was stored since the caller looked.
    /// </summary>
    public static async Task<bool> WaitForEncounterAsync(DbTransaction tx, CodingRequest request, string encounterId, CancellationToken ct)
    {
        await LockWaitersAsync(tx, encounterId, ct);
        await using (var stored = Command(tx, "SELECT 1 FROM resource WHERE resource_type = 'Encounter' AND id = @encounter AND is_deleted = @deleted",
            ("@encounter", encounterId), ("@deleted", false)))
            if (await stored.ExecuteScalarAsync(ct) is not null) throw new EncounterArrived(encounterId);
        return await ExecuteAsync(tx, """
            UPDATE coding_request SET status = 'waiting', waiting_for = @encounter, claim_token = NULL, lease_until = NULL, error = NULL, updated_at = @now
            WHERE id = @id AND claim_token = @token AND status = 'running' AND focus_version = @version
            """, ct, ("@id", request.Id), ("@token", request.ClaimToken), ("@version", request.FocusVersion), ("@encounter", encounterId), ("@now", Now())) == 1;
    }

    /// <summary>Re-opens the requests waiting for the Encounter, inside the transaction that stores it.</summary>
    public static async Task WakeWaitingForAsync(DbTransaction tx, string encounterId, CancellationToken ct)
    {
        await LockWaitersAsync(tx, encounterId, ct);
        await ExecuteAsync(tx, """
            UPDATE coding_request SET status = 'pending', waiting_for = NULL, attempts = 0, updated_at = @now
            WHERE status = 'waiting' AND waiting_for = @encounter
            """, ct, ("@encounter", encounterId), ("@now", Now()));
    }

    /// <summary>
    /// Serialises parking a request for an Encounter with storing that Encounter (PostgreSQL; SQLite writers are serialised
    /// already). Each side looks at the other's rows only after taking the lock, so under READ COMMITTED one of them sees the
    /// other's commit: a request is never parked for an Encounter that was stored while it decided to wait.
    /// </summary>
    static async Task LockWaitersAsync(DbTransaction tx, string encounterId, CancellationToken ct)
    {
        if (tx.Connection is not NpgsqlConnection) return;
        await ExecuteAsync(tx, "SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", ct, ("@key", $"coding-request-waiting-for/Encounter/{encounterId}"));
    }

    /// <summary>Claims up to <paramref name="max"/> pending requests (or ones whose lease ran out); other workers skip the locked rows.</summary>
    public async Task<IReadOnlyList<CodingRequest>> ClaimAsync(int max, CancellationToken ct, string? onlyId = null)
    {
        IReadOnlyList<CodingRequest> claimed = [];
        var token = Guid.NewGuid().ToString("N");
        var started = DateTimeOffset.UtcNow;
        await store.WriteAsync([], async (tx, token2) =>
        {
            var skipLocked = tx.Connection is NpgsqlConnection ? "FOR UPDATE SKIP LOCKED" : "";
            var only = onlyId is null ? "" : "AND id = @only";
            claimed = await QueryAsync(tx, $"""
                UPDATE coding_request SET status = 'running', claim_token = @token, lease_until = @lease,
                    attempts = attempts + 1, updated_at = @now
                WHERE id IN (SELECT id FROM coding_request
                             WHERE (status = 'pending' OR (status = 'running' AND lease_until < @now)) {only}
                             ORDER BY created_at LIMIT @max {skipLocked})
                RETURNING {Columns}
                """, token2, ("@token", token), ("@lease", Now() + (long)options.Value.Lease.TotalMilliseconds), ("@now", Now()), ("@max", max), ("@only", onlyId ?? ""));
        }, ct);
        var window = new ClaimWindow(started, DateTimeOffset.UtcNow, claimed.Count);
        if (claimed.Count == 0) return claimed;
        CodingTelemetry.ClaimTook(window.Ended - window.Started);
        return claimed.Select(r => r with { Claim = window }).ToList();
    }

    /// <summary>
    /// Marks a claimed request done inside the write-back transaction; false if it was cancelled or re-opened meanwhile.
    /// A note's request also records the encounter and the note version it was coded for (see <see cref="CodedNotesAsync"/>).
    /// </summary>
    public static async Task<bool> CompleteAsync(DbTransaction tx, CodingRequest request, string writtenIds, string result, string? encounterId, CancellationToken ct) =>
        await ExecuteAsync(tx, $"""
            UPDATE coding_request SET status = 'done', written_ids = @written, result = @result, error = NULL,
                lease_until = NULL, updated_at = @now{(encounterId is null ? "" : ", encounter_id = @encounter, coded_version = focus_version")}
            WHERE id = @id AND claim_token = @token AND status = 'running' AND focus_version = @version
            """, ct, ("@id", request.Id), ("@token", request.ClaimToken), ("@version", request.FocusVersion),
            ("@written", writtenIds), ("@result", result), ("@now", Now()), ("@encounter", encounterId ?? "")) == 1;

    /// <summary>
    /// The last coded result ($code answer) of every note of the encounter but one, whatever has happened since: a note
    /// re-opened for a new version, or whose new version failed, still stands by its last coded version until that changes.
    /// </summary>
    public static async Task<IReadOnlyList<CodedNote>> CodedNotesAsync(DbTransaction tx, string encounterId, string exceptRequestId, CancellationToken ct)
    {
        await using var command = Command(tx, """
            SELECT focus_id, coded_version, result FROM coding_request
            WHERE encounter_id = @encounter AND focus_type = 'DocumentReference' AND id <> @except AND result IS NOT NULL AND coded_version IS NOT NULL
            ORDER BY focus_id
            """, ("@encounter", encounterId), ("@except", exceptRequestId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var notes = new List<CodedNote>();
        while (await reader.ReadAsync(ct))
            notes.Add(new CodedNote(reader.GetString(0), Convert.ToInt32(reader.GetValue(1)), reader.GetString(2)));
        return notes;
    }

    /// <summary>A note's last coded result and the encounter it was coded under; null if it was never coded.</summary>
    public static async Task<(CodedNote Note, string EncounterId)?> LastCodedAsync(DbTransaction tx, string documentId, CancellationToken ct)
    {
        await using var command = Command(tx, """
            SELECT focus_id, coded_version, result, encounter_id FROM coding_request
            WHERE id = @id AND result IS NOT NULL AND coded_version IS NOT NULL AND encounter_id IS NOT NULL
            """, ("@id", IdFor("DocumentReference", documentId)));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (new CodedNote(reader.GetString(0), Convert.ToInt32(reader.GetValue(1)), reader.GetString(2)), reader.GetString(3));
    }

    public static async Task<bool> FailAsync(DbTransaction tx, CodingRequest request, string error, CancellationToken ct) =>
        await ExecuteAsync(tx, """
            UPDATE coding_request SET status = 'failed', error = @error, lease_until = NULL, updated_at = @now
            WHERE id = @id AND claim_token = @token AND status = 'running'
            """, ct, ("@id", request.Id), ("@token", request.ClaimToken), ("@error", error), ("@now", Now())) == 1;

    /// <summary>Hands a request back for another try (a transient failure such as a lost database connection).</summary>
    public Task ReleaseAsync(CodingRequest request, CancellationToken ct) =>
        store.WriteAsync([], (tx, c) => ExecuteAsync(tx, """
            UPDATE coding_request SET status = 'pending', claim_token = NULL, lease_until = NULL, updated_at = @now
            WHERE id = @id AND claim_token = @token AND status = 'running'
            """, c, ("@id", request.Id), ("@token", request.ClaimToken), ("@now", Now())), ct);

    public async Task<CodingRequest?> GetAsync(string id, CancellationToken ct)
    {
        CodingRequest? found = null;
        await store.ReadSqlAsync(async (tx, c) =>
            found = (await QueryAsync(tx, $"SELECT {Columns} FROM coding_request WHERE id = @id", c, ("@id", id))).SingleOrDefault(), ct);
        return found;
    }

    /// <summary>Cancels a request not yet done; a running one is rolled back when its write-back finds it cancelled.</summary>
    public async Task<bool> CancelAsync(string id, CancellationToken ct)
    {
        var cancelled = false;
        await store.WriteAsync([], async (tx, c) => cancelled = await ExecuteAsync(tx, """
            UPDATE coding_request SET status = 'cancelled', lease_until = NULL, updated_at = @now
            WHERE id = @id AND status IN ('pending', 'running', 'waiting')
            """, c, ("@id", id), ("@now", Now())) == 1, ct);
        return cancelled;
    }

    /// <summary>
    /// How many requests wait to be claimed (pending, or running with an expired lease); the telemetry's queue gauges report
    /// the count and the oldest one's wait from here, so they cost no query of their own.
    /// </summary>
    public async Task<int> CountClaimableAsync(CancellationToken ct)
    {
        var count = 0;
        long? oldest = null;
        await store.ReadSqlAsync(async (tx, c) =>
        {
            await using var command = Command(tx, """
                SELECT COUNT(*), MIN(CASE WHEN status = 'pending' THEN updated_at ELSE lease_until END) FROM coding_request
                WHERE status = 'pending' OR (status = 'running' AND lease_until < @now)
                """, ("@now", Now()));
            await using var reader = await command.ExecuteReaderAsync(c);
            await reader.ReadAsync(c);
            count = Convert.ToInt32(reader.GetValue(0));
            oldest = reader.IsDBNull(1) ? null : Convert.ToInt64(reader.GetValue(1));
        }, ct);
        CodingTelemetry.QueueObserved(count, oldest);
        return count;
    }

    /// <summary>Requests per status; notes waiting for their Encounter count under "waiting", apart from the failed ones.</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountByStatusAsync(CancellationToken ct)
    {
        var counts = new Dictionary<string, int>();
        await store.ReadSqlAsync(async (tx, c) =>
        {
            await using var command = Command(tx, "SELECT status, COUNT(*) FROM coding_request GROUP BY status");
            await using var reader = await command.ExecuteReaderAsync(c);
            while (await reader.ReadAsync(c)) counts[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1));
        }, ct);
        return counts;
    }

    static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A parameterised command in the caller's transaction (also used for the review's coding_decision table).</summary>
    internal static DbCommand Command(DbTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = tx.Connection!.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    static async Task<int> ExecuteAsync(DbTransaction tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    static async Task<IReadOnlyList<CodingRequest>> QueryAsync(DbTransaction tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(tx, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<CodingRequest>();
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        while (await reader.ReadAsync(ct))
            rows.Add(new CodingRequest(reader.GetString(0), reader.GetString(1), reader.GetString(2), Convert.ToInt32(reader.GetValue(3)),
                reader.GetString(4), Convert.ToInt32(reader.GetValue(5)), Text(6), Text(7), Text(8), Text(9), Text(10), Text(11), Text(12)));
        return rows;
    }
}
