namespace Symphony.Coders.Rules;

/// <summary>
/// Code ranges as the ICD-10-CM tabular writes them in its notes and as the data tables here write them:
/// "C15-C26", "C30-C32, C37-C39", "C40-C41; C45-C49", "C50.-", "O24.4-", "C7A.098", "N18". A code is in a
/// range when, cut to the length of each end, it lies between them (C18.9 is in C15-C26; E11.22 in E08-E13).
/// </summary>
public sealed class CodeRanges
{
    readonly List<(string From, string To)> _ranges = [];

    public IReadOnlyList<(string From, string To)> Ranges => _ranges;

    CodeRanges() { }

    /// <summary>The ranges of a text, or null when it names none.</summary>
    public static CodeRanges? Parse(string text)
    {
        var ranges = new CodeRanges();
        foreach (var part in text.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (ends.Length is 0 or > 2) continue;
            var from = Clean(ends[0]);
            var to = ends.Length == 2 ? Clean(ends[1]) : from;
            if (!IsCode(from) || !IsCode(to)) continue;
            ranges._ranges.Add((from, to));
        }
        return ranges._ranges.Count == 0 ? null : ranges;
    }

    static string Clean(string end) => end.TrimEnd('.', '-', ' ');

    static bool IsCode(string s) => s.Length >= 3 && char.IsAsciiLetterUpper(s[0]) && char.IsAsciiDigit(s[1]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '.');

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
