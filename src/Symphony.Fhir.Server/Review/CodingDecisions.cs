using System.Data.Common;
using System.Text.Json;
using Symphony.Coders;
using Symphony.Fhir.Server.CodingJobs;

namespace Symphony.Fhir.Server.Review;

public static class ReviewAction
{
    public const string Accept = "accept";
    public const string Reject = "reject";
    public const string Add = "add";
    /// <summary>Not a person's decision: the server's mark that a decision of an earlier version did not survive the note's new text.</summary>
    public const string NeedsReview = "needs-review";
    /// <summary>What a person may decide ($review, a PUT of a Condition).</summary>
    public static readonly IReadOnlyList<string> All = [Accept, Reject, Add];
}

/// <summary>One stored decision (a coding_decision row) on a code of one note version.</summary>
/// <param name="CarriedFrom">The earlier note version the decision was carried from (or, for a needs-review mark, the version whose decision did not survive); null when made on this version.</param>
public sealed record CodingDecision(
    string DocumentId, int NoteVersion, string System, string Code, string Display, string Action, IReadOnlyList<EvidenceSpan> Spans,
    string? Reason, string Reviewer, DateTimeOffset DecidedAt, int Position = 0, int? CarriedFrom = null);

/// <summary>The coding_decision table (migrations 0014, 0017), reached through the store's transactions like coding_request.</summary>
public static class CodingDecisions
{
    sealed record SpanRow(int Offset, int Length, string Text);

    public static async Task InsertAsync(DbTransaction tx, IReadOnlyList<CodingDecision> decisions, CancellationToken ct)
    {
        foreach (var d in decisions)
        {
            await using var command = CodingRequests.Command(tx, """
                INSERT INTO coding_decision (id, document_id, note_version, system, code, display, action, spans, reason, reviewer, decided_at, position, carried_from)
                VALUES (@id, @document, @version, @system, @code, @display, @action, @spans, @reason, @reviewer, @at, @position, @carried)
                """, ("@id", Guid.NewGuid().ToString("N")), ("@document", d.DocumentId), ("@version", d.NoteVersion), ("@system", d.System),
                ("@code", d.Code), ("@display", d.Display), ("@action", d.Action), ("@spans", JsonSerializer.Serialize(d.Spans.Select(s => new SpanRow(s.Start, s.Length, s.Text)))),
                ("@reason", d.Reason), ("@reviewer", d.Reviewer), ("@at", d.DecidedAt.ToUnixTimeMilliseconds()), ("@position", d.Position), ("@carried", d.CarriedFrom));
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    const string Columns = "system, code, action, spans, reason, reviewer, decided_at, position, display, document_id, note_version, carried_from";

    /// <summary>The decisions on one note version, oldest first.</summary>
    public static Task<IReadOnlyList<CodingDecision>> ForNoteAsync(DbTransaction tx, string documentId, int noteVersion, CancellationToken ct) =>
        QueryAsync(tx, $"SELECT {Columns} FROM coding_decision WHERE document_id = @document AND note_version = @version ORDER BY decided_at, position", ct,
            ("@document", documentId), ("@version", noteVersion));

    /// <summary>The newest version before <paramref name="noteVersion"/> with decisions, and its decisions (oldest first); null when no earlier version has any.</summary>
    public static async Task<(int Version, IReadOnlyList<CodingDecision> Decisions)?> NewestBeforeAsync(DbTransaction tx, string documentId, int noteVersion, CancellationToken ct)
    {
        await using var command = CodingRequests.Command(tx, "SELECT MAX(note_version) FROM coding_decision WHERE document_id = @document AND note_version < @version",
            ("@document", documentId), ("@version", noteVersion));
        if (await command.ExecuteScalarAsync(ct) is not { } found || found is DBNull) return null;
        var version = Convert.ToInt32(found);
        return (version, await ForNoteAsync(tx, documentId, version, ct));
    }

    /// <summary>Every stored decision, oldest first: what the site lexicon is built from.</summary>
    public static Task<IReadOnlyList<CodingDecision>> AllAsync(DbTransaction tx, CancellationToken ct) =>
        QueryAsync(tx, $"SELECT {Columns} FROM coding_decision ORDER BY decided_at, position", ct);

    /// <summary>How many decisions are stored and when the newest was made (Unix ms): a cheap mark of whether anything was decided since.</summary>
    public static async Task<(int Count, long DecidedThrough)> StampAsync(DbTransaction tx, CancellationToken ct)
    {
        await using var command = CodingRequests.Command(tx, "SELECT COUNT(*), COALESCE(MAX(decided_at), 0) FROM coding_decision");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (Convert.ToInt32(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1)));
    }

    static async Task<IReadOnlyList<CodingDecision>> QueryAsync(DbTransaction tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = CodingRequests.Command(tx, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var decisions = new List<CodingDecision>();
        while (await reader.ReadAsync(ct))
        {
            var spans = JsonSerializer.Deserialize<List<SpanRow>>(reader.GetString(3))!.Select(s => new EvidenceSpan(s.Offset, s.Length, s.Text)).ToList();
            decisions.Add(new CodingDecision(reader.GetString(9), Convert.ToInt32(reader.GetValue(10)), reader.GetString(0), reader.GetString(1), reader.GetString(8), reader.GetString(2), spans,
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5),
                DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(6))), Convert.ToInt32(reader.GetValue(7)),
                reader.IsDBNull(11) ? null : Convert.ToInt32(reader.GetValue(11))));
        }
        return decisions;
    }
}
