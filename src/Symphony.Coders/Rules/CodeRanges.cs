namespace Symphony.Coders.Rules;

/// <summary>
/// Code ranges as the ICD-10-CM tabular writes them in its notes and as the data tables here write them:
/// "C15-C26", "C30-C32, C37-C39", "C40-C41; C45-C49", "C50.-", "O24.4-", "C7A.098", "N18". A code is in a
/// range when, cut to the length of each end, it lies between them (C18.9 is in C15-C26; E11.22 in E08-E13).
/// </summary>
public sealed partial class CodeRanges
{
    readonly List<(string From, string To)> _ranges = [];

    public IReadOnlyList<(string From, string To)> Ranges => _ranges;

    CodeRanges() { }

    /// <summary>The ranges a text names ("Conditions classifiable to C00-C14, C40-C49"), or null when it names none.</summary>
    public static CodeRanges? Parse(string text)
    {
        var ranges = new CodeRanges();
        foreach (System.Text.RegularExpressions.Match m in Range().Matches(text))
        {
            var from = m.Groups["from"].Value;
            ranges._ranges.Add((from, m.Groups["to"].Success ? m.Groups["to"].Value : from));
        }
        return ranges._ranges.Count == 0 ? null : ranges;
    }

    // A code (letter, digit, digit or letter, then an optional dotted tail), or two joined by a hyphen; "C50.-" is C50.
    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?<from>[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]+)?)(?:\s*-\s*(?<to>[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]+)?))?")]
    private static partial System.Text.RegularExpressions.Regex Range();

    public bool Contains(string code)
    {
        foreach (var (from, to) in _ranges)
            if (Compare(code, from) >= 0 && Compare(code, to) <= 0) return true;
        return false;
    }

    /// <summary>The code cut to the length of the range end, compared with it.</summary>
    static int Compare(string code, string end) =>
        string.CompareOrdinal(code.Length > end.Length ? code[..end.Length] : code, end);

    /// <summary>The ranges written back ("C15-C26, C30").</summary>
    public override string ToString() => string.Join(", ", _ranges.Select(r => r.From == r.To ? r.From : $"{r.From}-{r.To}"));
}
