using System.Collections.Concurrent;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Rules;

/// <summary>
/// Guideline: a condition the patient had in the past, or that runs in the family, is reported
/// with a personal-history (Z85–Z87) or family-history (Z80–Z84) code, not with the disease
/// code. The history code is read from the code system's own titles: of the billable codes
/// titled "Personal history of …" / "Family history of …", the one whose subject words all occur
/// in the disease code's title or the titles above it (category, section, chapter) — the most
/// specific such subject wins ("Personal history of other malignant neoplasm of kidney" for
/// C64.9 over "Personal history of malignant neoplasm, unspecified"). A past condition the
/// classification codes in its own chapter, named by the history code's excludes note, takes that
/// code instead (old myocardial infarction I25.2 rather than Z86.79).
/// </summary>
public sealed class HistoryCodes
{
    const string PersonalPrefix = "Personal history of ";
    const string FamilyPrefix = "Family history of ";


    // Subjects that name no condition of their own ("other specified conditions").
    static readonly HashSet<string> Vague = new[] { "condition", "disease", "disorder", "specified" }
        .Select(w => TextNormalizer.Normalize(w, Language.English)).ToHashSet(StringComparer.Ordinal);

    sealed record Subject(string Code, string[] Keys, bool Family, bool Unspecified);

    readonly CodeSystemVersion _cs;
    readonly List<Subject> _subjects = [];
    readonly ConcurrentDictionary<(string, bool), string?> _cache = new();

    public HistoryCodes(CodeSystemVersion icd10Cm)
    {
        _cs = icd10Cm;
        foreach (var c in icd10Cm.Concepts.Values.OrderBy(c => c.Code, StringComparer.Ordinal))
        {
            if (!c.IsBillable) continue;
            var family = c.Display.StartsWith(FamilyPrefix, StringComparison.OrdinalIgnoreCase);
            if (!family && !c.Display.StartsWith(PersonalPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            var subject = TerminologyTerms.Parenthetical().Replace(c.Display[(family ? FamilyPrefix : PersonalPrefix).Length..], "");
            var keys = TermMatcher.ContentKeys(subject, Language.English);
            if (keys.Length == 0 || keys.All(Vague.Contains)) continue;
            _subjects.Add(new Subject(c.Code, keys, family, c.Display.Contains(", unspecified", StringComparison.OrdinalIgnoreCase)));
        }
    }

    /// <summary>The personal- or family-history code for a disease code, or null when no title fits.</summary>
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
                var best = _subjects
                    .Where(s => s.Family == family && s.Unspecified == unspecified && s.Keys.All(context.Contains))
                    .OrderByDescending(s => s.Keys.Length)
                    .FirstOrDefault();
                if (best is not null) return best.Code;
            }
        }
        return null;
    }
}
