using System.Collections.Concurrent;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Rules;

/// <summary>
/// Guideline: a condition the patient had in the past, or that runs in the family, is reported
/// with a personal-history (Z85–Z87) or family-history (Z80–Z84) code, not with the disease
/// code. The history code is read from the code system's own data, in this order:
/// <list type="number">
/// <item>Data/history-codes.tsv: past conditions the classification codes where neither the notes nor the
/// titles lead (a past stroke without residual deficits is Z86.73), each line with its source;</item>
/// <item>the tabular's inclusion notes "Conditions classifiable to C15-C26" (Z80.0): the most specific history
/// code whose ranges hold the disease code decides the branch — a note saying "elsewhere in" only when no
/// other holds it;</item>
/// <item>within that branch (or over all history codes when no note holds the code), the titles: of the
/// billable codes titled "Personal history of …" / "Family history of …", the one whose subject words all occur
/// in the disease code's title, the titles above it (category, section, chapter) or the neoplasm-table lines that
/// lead to it ("intestine, large, colon" for C18.9) — the most specific subject wins; in a branch where no subject
/// fits, its residual "other …" code.</item>
/// </list>
/// A past condition the classification codes in its own chapter, named by the history code's excludes note,
/// takes that code instead (old myocardial infarction I25.2 rather than Z86.79).
/// </summary>
public sealed class HistoryCodes
{
    const string PersonalPrefix = "Personal history of ";
    const string FamilyPrefix = "Family history of ";

    // Subjects that name no condition of their own ("other specified conditions").
    static readonly HashSet<string> Vague = new[] { "condition", "disease", "disorder", "specified" }
        .Select(w => TextNormalizer.Normalize(w, Language.English)).ToHashSet(StringComparer.Ordinal);

    sealed record Subject(string Code, string[] Keys, bool Family, bool Unspecified);

    /// <summary>A history code (billable or not) whose inclusion note names the disease codes it covers.</summary>
    sealed record Branch(string Code, CodeRanges Ranges, bool Family, bool Elsewhere);

    /// <summary>A line of Data/history-codes.tsv.</summary>
    sealed record Listed(CodeRanges Ranges, bool Family, string Code);

    readonly CodeSystemVersion _cs;
    readonly List<Subject> _subjects = [];
    readonly List<Branch> _branches = [];
    readonly List<Listed> _listed = [];
    /// <summary>Disease code → the words of the neoplasm-table lines that lead to it (below the main term).</summary>
    readonly Dictionary<string, string[]> _neoplasmWords = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<(string, bool), string?> _cache = new();

    public HistoryCodes(CodeSystemVersion icd10Cm)
    {
        _cs = icd10Cm;
        foreach (var c in icd10Cm.Concepts.Values.OrderBy(c => c.Code, StringComparer.Ordinal))
        {
            var family = c.Display.StartsWith(FamilyPrefix, StringComparison.OrdinalIgnoreCase);
            if (!family && !c.Display.StartsWith(PersonalPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var note in c.Notes)
            {
                var at = note.Kind == NoteKind.InclusionTerm ? note.Text.IndexOf("classifiable", StringComparison.OrdinalIgnoreCase) : -1;
                if (at >= 0 && CodeRanges.Parse(note.Text[at..]) is { } ranges)
                    _branches.Add(new Branch(c.Code, ranges, family, note.Text.Contains("elsewhere", StringComparison.OrdinalIgnoreCase)));
            }
            if (!c.IsBillable) continue;
            var subject = TerminologyTerms.Parenthetical().Replace(c.Display[(family ? FamilyPrefix : PersonalPrefix).Length..], "");
            var keys = TermMatcher.ContentKeys(subject, Language.English);
            if (keys.Length == 0 || keys.All(Vague.Contains)) continue;
            _subjects.Add(new Subject(c.Code, keys, family, c.Display.Contains(", unspecified", StringComparison.OrdinalIgnoreCase)));
        }
        foreach (var line in LanguageData.ReadLines("history-codes.tsv"))
        {
            var f = line.Split('\t');
            var ranges = CodeRanges.Parse(f[1]) ?? throw new InvalidOperationException($"history-codes.tsv: no code range in '{f[1]}'");
            // A version without the history code leaves the line out.
            if (icd10Cm.Find(f[2]) is { IsBillable: true }) _listed.Add(new Listed(ranges, f[0] == "family", f[2]));
        }
        var words = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var entry in icd10Cm.IndexEntries)
        {
            if (entry.Index != "neoplasm" || entry.Code.Length == 0 || entry.Path.Count < 2) continue;
            if (!words.TryGetValue(entry.Code, out var set)) words[entry.Code] = set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var part in entry.Path.Skip(1)) set.UnionWith(TermMatcher.ContentKeys(part, Language.English));
        }
        foreach (var (code, set) in words) _neoplasmWords[code] = [.. set];
    }

    /// <summary>True for a family-history (Z80–Z84) or personal-history (Z85–Z87) code.</summary>
    public static bool IsHistoryCode(string code) => code.Length >= 3 && string.CompareOrdinal(code, 0, "Z80", 0, 3) >= 0 && string.CompareOrdinal(code, 0, "Z87", 0, 3) <= 0;

    /// <summary>The personal- or family-history code for a disease code, or null when nothing fits.</summary>
    public string? For(string diseaseCode, bool family) => _cache.GetOrAdd((diseaseCode, family), key =>
    {
        var history = Find(key.Item1, key.Item2);
        return history is not null && !key.Item2 ? OldConditionCode(history, key.Item1) ?? history : history;
    });

    /// <summary>
    /// A past condition the classification codes in its own chapter: the history code (or a level above it)
    /// excludes "old &lt;condition&gt; (code)" — Z86.7 excludes old myocardial infarction (I25.2) — and the
    /// condition's words are the disease's, so a past myocardial infarction is I25.2, not Z86.79.
    /// </summary>
    string? OldConditionCode(string historyCode, string diseaseCode)
    {
        var disease = TermMatcher.ContentKeys(TerminologyTerms.CoreTitle(_cs.Find(diseaseCode)!.Display), Language.English).ToHashSet(StringComparer.Ordinal);
        for (var c = _cs.Find(historyCode); c is not null; c = c.ParentCode is { } p ? _cs.Find(p) : null)
            foreach (var note in c.Notes)
                if (note.Kind is NoteKind.Excludes1 or NoteKind.Excludes2 && NoteCodes.TermAndCode(note.Text) is { } pair
                    && pair.Term.StartsWith("old ", StringComparison.OrdinalIgnoreCase)
                    && TermMatcher.ContentKeys(pair.Term[4..], Language.English).All(disease.Contains)
                    && _cs.Find(pair.Code) is { } old)
                    return old.IsBillable ? old.Code : SpecificityRule.Descend(_cs, old).Concept.Code;
        return null;
    }

    string? Find(string diseaseCode, bool family)
    {
        if (diseaseCode.StartsWith('Z') || _cs.Find(diseaseCode) is not { } concept) return null;
        foreach (var listed in _listed)
            if (listed.Family == family && listed.Ranges.Contains(diseaseCode)) return listed.Code;
        var branch = _branches
            .Where(b => b.Family == family && b.Ranges.Contains(diseaseCode))
            .OrderBy(b => b.Elsewhere).ThenByDescending(b => b.Code.Length)
            .FirstOrDefault();
        if (branch is null) return BySubject(concept, family, null);
        return _cs.Find(branch.Code) is { IsBillable: true } ? branch.Code : BySubject(concept, family, branch.Code) ?? Residual(branch.Code) ?? BySubject(concept, family, null);
    }

    /// <summary>The history code whose subject the disease's titles name, within a branch (codes under it) or anywhere.</summary>
    string? BySubject(Concept concept, bool family, string? within)
    {
        // Climb from the code towards its chapter: the first level whose titles cover a subject decides
        // (diabetes mellitus at E11.9 before "endocrine, nutritional and metabolic diseases" at the chapter);
        // an "…, unspecified" history code only when no other fits at any level.
        foreach (var unspecified in new[] { false, true })
        {
            var context = new HashSet<string>(StringComparer.Ordinal);
            for (var c = concept; c is not null; c = c.ParentCode is { } p ? _cs.Find(p) : null)
            {
                // "Malignant neoplasm of kidney, except renal pelvis" is not about the renal pelvis.
                context.UnionWith(TermMatcher.ContentKeys(TerminologyTerms.CoreTitle(c.Display), Language.English));
                if (_neoplasmWords.TryGetValue(c.Code, out var words)) context.UnionWith(words);
                var best = _subjects
                    .Where(s => s.Family == family && s.Unspecified == unspecified && (within is null || s.Code.StartsWith(within, StringComparison.Ordinal)) && s.Keys.All(context.Contains))
                    .OrderByDescending(s => s.Keys.Length)
                    .FirstOrDefault();
                if (best is not null) return best.Code;
            }
        }
        return null;
    }

    /// <summary>
    /// The branch's residual billable code: down through the last child when it is titled "other …" (Z80.4 → Z80.49);
    /// null when the branch has none (Z87.4's children name their organs).
    /// </summary>
    string? Residual(string code)
    {
        for (var c = _cs.Find(code); c is not null; )
        {
            if (c.IsBillable) return c.Code;
            c = c.Children.Count == 0 ? null : _cs.Find(c.Children[^1]);
            if (c is not null && !c.Display.Contains(" other ", StringComparison.OrdinalIgnoreCase)) return null;
        }
        return null;
    }
}
