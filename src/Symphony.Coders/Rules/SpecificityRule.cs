using Symphony.Terminology.Model;

namespace Symphony.Coders.Rules;

/// <summary>When a code needs more characters to be reported.</summary>
public enum Episode
{
    Initial,
    Subsequent,
    Sequela,
}

/// <summary>
/// Guideline: report the most specific billable code the text supports. When a mention names a
/// category or subcategory (non-billable), descend to its unspecified default child — the child
/// whose title adds "unspecified", else the one without what its siblings state ("without complication",
/// "not intractable"), else the one ending in 9 — and pick the 7th character from the
/// encounter episode (A initial, D subsequent, S sequela). Stops where the data gives no default.
/// </summary>
public static class SpecificityRule
{
    public const string DefaultChild = "specificity:unspecified-child";
    public const string SeventhCharacter = "seventh-character";

    public static (Concept Concept, List<string> Rules) Descend(CodeSystemVersion codeSystem, Concept concept, Episode episode = Episode.Initial)
    {
        var rules = new List<string>();
        var current = concept;
        for (var depth = 0; depth < 5 && !current.IsBillable && current.Children.Count > 0; depth++)
        {
            var children = current.Children.Select(codeSystem.Find).OfType<Concept>().ToList();
            if (children.Count == 0) break;
            Concept? next;
            if (AreSeventhCharacterExpansions(current, children))
            {
                var letter = episode switch { Episode.Subsequent => 'D', Episode.Sequela => 'S', _ => 'A' };
                next = children.FirstOrDefault(c => c.Code[^1] == letter) ?? children[0];
                rules.Add($"{SeventhCharacter}:{next.Code[^1]} ({episode.ToString().ToLowerInvariant()} encounter)");
            }
            else
            {
                // "Unspecified" counts only where the child adds it: every child of D49 "Neoplasms of unspecified
                // behavior" repeats it, and D49.9 "… of unspecified behavior of unspecified site" is the default.
                // "With unspecified complications" (E11.8) says complications were documented, so it is no default.
                var inParent = UnspecifiedCount(current.Display);
                bool AddsUnspecified(Concept c) => UnspecifiedCount(c.Display) > inParent && !c.Display.Contains("with unspecified", StringComparison.OrdinalIgnoreCase);
                next = children.FirstOrDefault(c => AddsUnspecified(c) && !c.Display.Contains("other", StringComparison.OrdinalIgnoreCase))
                    ?? children.FirstOrDefault(AddsUnspecified)
                    // Nothing documented means the absence of what a sibling states: "without complication",
                    // "uncomplicated", "not intractable", "without status migrainosus".
                    ?? children.FirstOrDefault(c => AbsenceCount(c.Display) > AbsenceCount(current.Display))
                    ?? children.FirstOrDefault(c => c.Code[^1] == '9')
                    ?? (children.Count == 1 ? children[0] : null);
                if (next is null) break;
                rules.Add($"{DefaultChild}:{current.Code}→{next.Code}");
            }
            current = next;
        }
        return (current, rules);
    }

    /// <summary>True when the concept or a node above it declares 7th characters (the data says its 7th character is the episode).</summary>
    public static bool HasSeventhCharacters(CodeSystemVersion codeSystem, Concept concept)
    {
        for (Concept? c = concept; c is not null; c = c.ParentCode is { } p ? codeSystem.Find(p) : null)
            if (c.SeventhCharacters is not null) return true;
        return false;
    }

    static readonly string[] AbsenceWords = ["without ", "uncomplicated", "not intractable"];

    /// <summary>How often a title states an absence; "other" titles state none (they name residual classes).</summary>
    static int AbsenceCount(string display) =>
        display.Contains("other", StringComparison.OrdinalIgnoreCase) ? 0 : AbsenceWords.Sum(w => Count(display, w));

    static int UnspecifiedCount(string display) => Count(display, "unspecified");

    static int Count(string text, string word)
    {
        var count = 0;
        for (var i = text.IndexOf(word, StringComparison.OrdinalIgnoreCase); i >= 0; i = text.IndexOf(word, i + 1, StringComparison.OrdinalIgnoreCase)) count++;
        return count;
    }

    /// <summary>7-character codes generated from a sevenChrDef: every child is the parent (padded with X) plus one character.</summary>
    static bool AreSeventhCharacterExpansions(Concept parent, List<Concept> children) =>
        children.All(c => c.Code.Replace(".", "").Length == 7 && c.Code.Length > parent.Code.Length);

    static readonly string[] SequelaWords = ["sequela", "sequelae", "secuela", "secuelas", "late effect"];
    static readonly string[] SubsequentWords = ["subsequent", "follow-up", "follow up", "healing", "routine healing", "seguimiento", "control evolutivo", "revisión"];

    /// <summary>The encounter episode a sentence speaks of, for the 7th character.</summary>
    public static Episode DetectEpisode(string sentence)
    {
        if (SequelaWords.Any(w => sentence.Contains(w, StringComparison.OrdinalIgnoreCase))) return Episode.Sequela;
        if (SubsequentWords.Any(w => sentence.Contains(w, StringComparison.OrdinalIgnoreCase))) return Episode.Subsequent;
        return Episode.Initial;
    }
}
