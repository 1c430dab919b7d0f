namespace Symphony.Fhir.Server.Review;

/// <summary>
/// What a note's new version keeps of the decisions standing on its newest earlier reviewed version (docs/review.md,
/// "A new note version"). A code whose every decided span is at the same words in the new text keeps its decision, stored
/// again on the new version with the moved spans and the version it came from. Any other decided code is marked
/// needs-review — except a rejected code the machine no longer suggests, which needs nobody. A mark not yet resolved by a
/// person stays a mark.
/// </summary>
public static class CarriedDecisions
{
    /// <param name="earlier">The decisions on version <paramref name="fromVersion"/>, oldest first.</param>
    /// <param name="oldText">That version's decoded text; null when it can no longer be read (then nothing is at the same words).</param>
    /// <param name="suggested">The codes the machine suggests for the new version.</param>
    public static IReadOnlyList<CodingDecision> Carry(IReadOnlyList<CodingDecision> earlier, int fromVersion, string? oldText, string newText, int newVersion,
        IReadOnlySet<(string System, string Code)> suggested, DateTimeOffset at)
    {
        var diff = oldText is null ? null : new NoteTextDiff(oldText, newText);
        var carried = new List<CodingDecision>();
        foreach (var code in earlier.GroupBy(d => (d.System, d.Code)))
        {
            var decisions = code.ToList();
            var last = decisions[^1];
            if (last.Action == ReviewAction.NeedsReview)
            {
                carried.Add(last with { NoteVersion = newVersion });
                continue;
            }
            var standing = ReviewedCodes.Standing(decisions)
                .Select(d => (Decision: d, Moved: d.Spans.Select(s => diff?.Map(s)).ToList())).ToList();
            if (standing.All(s => s.Moved.Count > 0 && s.Moved.All(m => m is not null)))
            {
                carried.AddRange(standing.Select(s => s.Decision with { NoteVersion = newVersion, Spans = s.Moved.Select(m => m!).ToList(), CarriedFrom = fromVersion }));
                continue;
            }
            if (last.Action == ReviewAction.Reject && !suggested.Contains(code.Key)) continue;
            carried.Add(new CodingDecision(last.DocumentId, newVersion, last.System, last.Code, last.Display, ReviewAction.NeedsReview, [],
                Why(last, fromVersion, newVersion), last.Reviewer, at, last.Position, fromVersion));
        }
        return carried;
    }

    static string Why(CodingDecision decision, int fromVersion, int newVersion)
    {
        var done = ReviewedCodes.Name(ReviewedCodes.StateOf(decision));
        return $"{TagDisplay(newVersion)}; {decision.Reviewer} {done} it on version {fromVersion}" + (decision.Reason is { } reason ? $" ({reason})." : ".");
    }

    /// <summary>The meta.tag display of a resource marked for review (and the start of its mark's reason).</summary>
    public static string TagDisplay(int newVersion) => $"Review needed: evidence changed in version {newVersion}";
}
