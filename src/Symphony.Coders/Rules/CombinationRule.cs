using Symphony.Coders.Text;

namespace Symphony.Coders.Rules;

/// <summary>One line of Data/combinations.tsv.</summary>
public sealed record Combination(string Name, string First, string Second, string Combined, bool KeepSecond)
{
    public bool MatchesFirst(string code) => Matches(First, code);
    public bool MatchesSecond(string code) => Matches(Second, code);
    static bool Matches(string pattern, string code) => code.StartsWith(pattern, StringComparison.Ordinal);
}

/// <summary>
/// Combination codes: two conditions the classification joins into one code (diabetes "with"
/// CKD → E11.22, hypertension with heart failure → I11.0). Data-driven: each pair is a line of
/// Data/combinations.tsv. Applied until nothing changes, so I10 + I50.9 + N18.3 ends at I13.0.
/// </summary>
public static class CombinationRule
{
    public static IReadOnlyList<Combination> All { get; } = LanguageData.ReadLines("combinations.tsv")
        .Select(line => line.Split('\t'))
        .Select(f => new Combination(f[0], f[1], f[2], f[3], f[4] == "yes"))
        .ToList();

    /// <summary>The first combination that applies to two codes of the set, or null.</summary>
    public static (Combination Rule, string First, string Second)? FindApplicable(IReadOnlyCollection<string> codes)
    {
        foreach (var rule in All)
        {
            var first = codes.FirstOrDefault(rule.MatchesFirst);
            if (first is null) continue;
            var second = codes.FirstOrDefault(c => c != first && rule.MatchesSecond(c));
            if (second is not null && !codes.Contains(rule.Combined)) return (rule, first, second);
        }
        return null;
    }
}
