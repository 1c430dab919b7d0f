using Symphony.Coders.Text;

namespace Symphony.Coders.Rules;

/// <summary>
/// Guidelines I.B.18: a code that leaves the site (or behavior) unknown — D49.9, C80.1, T14.90 — is for a record that
/// says no more. Data/unspecified-site.tsv names each such code and the codes that state what it leaves open; when the
/// note supports one of those, the unspecified code is left out ("tumor" read as D49.9 beside "renal cell carcinoma").
/// </summary>
public static class UnspecifiedSite
{
    public const string Name = "unspecified-site";

    sealed record Row(string Code, CodeRanges Specific);

    static readonly List<Row> Rows = LanguageData.ReadLines("unspecified-site.tsv")
        .Select(line => line.Split('\t'))
        .Select(f => new Row(f[0], CodeRanges.Parse(f[1]) ?? throw new InvalidOperationException($"unspecified-site.tsv: no range in '{f[1]}'")))
        .ToList();

    /// <summary>The unspecified codes of the set to leave out, each with a code of the set that names its site.</summary>
    public static List<(string Code, string Specific)> LeftOut(IReadOnlyCollection<string> codes)
    {
        var result = new List<(string, string)>();
        foreach (var row in Rows)
            // The code as written or with its 7th character (T14.90XA).
            foreach (var code in codes.Where(c => c.StartsWith(row.Code, StringComparison.Ordinal)))
            {
                var specific = codes.FirstOrDefault(c => !c.StartsWith(row.Code, StringComparison.Ordinal) && row.Specific.Contains(c) && !Rows.Any(r => c.StartsWith(r.Code, StringComparison.Ordinal)));
                if (specific is not null) result.Add((code, specific));
            }
        return result;
    }
}
