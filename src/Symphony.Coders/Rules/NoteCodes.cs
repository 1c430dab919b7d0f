using System.Text.RegularExpressions;

namespace Symphony.Coders.Rules;

/// <summary>A code or code range named in a tabular note: "(E10.-)", "(I10-I16)", "(N18.1-N18.6)".</summary>
public readonly record struct CodeRange(string From, string To)
{
    /// <summary>True when the (dotted) code falls in the range; a range end covers its descendants ("N18" covers "N18.30").</summary>
    public bool Contains(string code)
    {
        var c = code.Replace(".", "");
        var from = From.Replace(".", "");
        var to = To.Replace(".", "");
        if (string.CompareOrdinal(c, from) < 0 && !c.StartsWith(from, StringComparison.Ordinal)) return false;
        return string.CompareOrdinal(c, to) <= 0 || c.StartsWith(to, StringComparison.Ordinal);
    }
}

/// <summary>Reads the codes a tabular note refers to, and the "term (code)" pairs it contains.</summary>
public static partial class NoteCodes
{
    [GeneratedRegex(@"\b([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(?:\.?-(?![A-Z]))?(?:\s*-\s*([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(?:\.?-(?![A-Z]))?)?")]
    private static partial Regex CodeOrRange();

    [GeneratedRegex(@"^(?<term>[^()]*?(?:\([^()]*\)[^()]*?)*)\s*\((?<code>[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)[.\-]*\)\s*$")]
    private static partial Regex TermWithSingleCode();

    public static List<CodeRange> Ranges(string noteText)
    {
        var ranges = new List<CodeRange>();
        foreach (Match parenthesis in Regex.Matches(noteText, @"\(([^()]*)\)"))
            foreach (Match m in CodeOrRange().Matches(parenthesis.Groups[1].Value))
                ranges.Add(new CodeRange(m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : m.Groups[1].Value));
        return ranges;
    }

    /// <summary>"chronic kidney disease (N18.-)" → ("chronic kidney disease", "N18"); null when the note names a range or no code.</summary>
    public static (string Term, string Code)? TermAndCode(string noteText)
    {
        var m = TermWithSingleCode().Match(noteText.Trim());
        if (!m.Success) return null;
        var term = m.Groups["term"].Value.Trim().TrimEnd(',', ';', ':').Trim();
        return term.Length < 3 ? null : (term, m.Groups["code"].Value);
    }
}
