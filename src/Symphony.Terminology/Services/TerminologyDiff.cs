using Symphony.Terminology.Model;

namespace Symphony.Terminology.Services;

public sealed record RevisedCode(string Code, string OldDisplay, string NewDisplay, bool OldBillable, bool NewBillable);

public sealed record TerminologyDiffResult(IReadOnlyList<Concept> Added, IReadOnlyList<Concept> Deleted, IReadOnlyList<RevisedCode> Revised);

/// <summary>
/// What changed between two versions of a code system: codes added, codes deleted, and codes whose
/// description or billability changed. Chapters and sections (tabular-only groupings) are left out so
/// a full release and an order-file-only release compare fairly.
/// </summary>
public static class TerminologyDiff
{
    public static TerminologyDiffResult Compare(CodeSystemVersion from, CodeSystemVersion to)
    {
        static bool IsCode(Concept c) => c.Kind is not ("chapter" or "section");
        var added = to.Concepts.Values.Where(c => IsCode(c) && !from.Concepts.ContainsKey(c.Code)).ToList();
        var deleted = from.Concepts.Values.Where(c => IsCode(c) && !to.Concepts.ContainsKey(c.Code)).ToList();
        var revised = new List<RevisedCode>();
        foreach (var old in from.Concepts.Values.Where(IsCode))
        {
            if (!to.Concepts.TryGetValue(old.Code, out var now)) continue;
            var sameText = SameName(old, now);
            if (!sameText || old.IsBillable != now.IsBillable)
                revised.Add(new RevisedCode(old.Code, old.Display, now.Display, old.IsBillable, now.IsBillable));
        }
        return new TerminologyDiffResult(added, deleted, revised);
    }

    /// <summary>Same description, allowing for a tabular title that differs from the order file's long description.</summary>
    static bool SameName(Concept a, Concept b) =>
        a.Display == b.Display || a.Designations.Any(d => d.Value == b.Display) || b.Designations.Any(d => d.Value == a.Display);
}
