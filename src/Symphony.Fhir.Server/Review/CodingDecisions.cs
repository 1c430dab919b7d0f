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
    public static readonly IReadOnlyList<string> All = [Accept, Reject, Add];
}

/// <summary>One stored decision (a coding_decision row) on a code of one note version.</summary>
public sealed record CodingDecision(
    string DocumentId, int NoteVersion, string System, string Code, string Display, string Action, IReadOnlyList<EvidenceSpan> Spans,
    string? Reason, string Reviewer, DateTimeOffset DecidedAt, int Position = 0);

/// <summary>The coding_decision table (migration 0014), reached through the store's transactions like coding_request.</summary>
public static class CodingDecisions
{
    sealed record SpanRow(int Offset, int Length, string Text);

    public static async Task InsertAsync(DbTransaction tx, IReadOnlyList<CodingDecision> decisions, CancellationToken ct)
    {
        foreach (var d in decisions)
        {
            await using var command = CodingRequests.Command(tx, """
                INSERT INTO coding_decision (id, document_id, note_version, system, code, display, action, spans, reason, reviewer, decided_at, position)
                VALUES (@id, @document, @version, @system, @code, @display, @action, @spans, @reason, @reviewer, @at, @position)
                """, ("@id", Guid.NewGuid().ToString("N")), ("@document", d.DocumentId), ("@version", d.NoteVersion), ("@system", d.System),
                ("@code", d.Code), ("@display", d.Display), ("@action", d.Action), ("@spans", JsonSerializer.Serialize(d.Spans.Select(s => new SpanRow(s.Start, s.Length, s.Text)))),
                ("@reason", d.Reason), ("@reviewer", d.Reviewer), ("@at", d.DecidedAt.ToUnixTimeMilliseconds()), ("@position", d.Position));
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    const string Columns = "system, code, action, spans, reason, reviewer, decided_at, position, display, document_id, note_version";

    /// <summary>The decisions on one note version, oldest first.</summary>
    public static Task<IReadOnlyList<CodingDecision>> ForNoteAsync(DbTransaction tx, string documentId, int noteVersion, CancellationToken ct) =>
        QueryAsync(tx, $"SELECT {Columns} FROM coding_decision WHERE document_id = @document AND note_version = @version ORDER BY decided_at, position", ct,
            ("@document", documentId), ("@version", noteVersion));

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
                DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(6))), Convert.ToInt32(reader.GetValue(7))));
        }
        return decisions;
    }
}
