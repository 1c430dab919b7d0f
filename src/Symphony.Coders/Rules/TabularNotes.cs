using System.Collections.Concurrent;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Rules;

/// <summary>
/// The tabular-list notes that govern a code: its own and those inherited from every ancestor
/// (an Excludes1 at category level applies to all codes below it). Parsed once per code.
/// </summary>
public sealed class TabularNotes(CodeSystemVersion codeSystem)
{
    static readonly NoteKind[] PairingKinds = [NoteKind.UseAdditionalCode, NoteKind.CodeFirst, NoteKind.CodeAlso];
    readonly ConcurrentDictionary<(string, NoteKind), List<CodeRange>> _cache = new();

    public CodeSystemVersion CodeSystem => codeSystem;

    /// <summary>The code ranges named by notes of this kind on the code or its ancestors.</summary>
    public List<CodeRange> Referenced(string code, NoteKind kind) => _cache.GetOrAdd((code, kind), key =>
    {
        var ranges = new List<CodeRange>();
        for (var concept = codeSystem.Find(key.Item1); concept is not null; concept = concept.ParentCode is { } p ? codeSystem.Find(p) : null)
            foreach (var note in concept.Notes)
                if (note.Kind == key.Item2) ranges.AddRange(NoteCodes.Ranges(note.Text));
        return ranges;
    });

    /// <summary>Excludes1 ("not coded here"): true when either code's notes exclude the other.</summary>
    public bool Excludes1(string a, string b) =>
        Referenced(a, NoteKind.Excludes1).Any(r => r.Contains(b)) || Referenced(b, NoteKind.Excludes1).Any(r => r.Contains(a));

    /// <summary>"Use additional code" / "code first" partners of a code that are present in the set.</summary>
    public IEnumerable<(string Partner, NoteKind Kind)> Partners(string code, IEnumerable<string> others)
    {
        foreach (var kind in PairingKinds)
        {
            var ranges = Referenced(code, kind);
            if (ranges.Count == 0) continue;
            foreach (var other in others)
                if (other != code && ranges.Any(r => r.Contains(other))) yield return (other, kind);
        }
    }
}
