using Symphony.Coders.Text;

namespace Symphony.Coders.Rules;

/// <summary>
/// Guidelines I.B.4–I.B.5: a sign or symptom (R00–R99) is not reported beside a definitive diagnosis that explains it.
/// Which diagnosis explains which symptom the classification does not say; where the note says it is its diagnostic
/// statement (Data/integral-symptoms.tsv): a symptom named only outside it — in the history of present illness, the
/// review of systems, the examination — while the note establishes a definitive diagnosis is left out, and a symptom the
/// diagnostic statement lists itself is kept.
/// </summary>
public static class IntegralSymptoms
{
    public const string Name = "integral-symptom";

    static readonly List<string[]> Lines = LanguageData.ReadLines("integral-symptoms.tsv").Select(l => l.Split('\t')).ToList();

    static CodeRanges Ranges(string part) =>
        CodeRanges.Parse(Lines.Single(f => f[0] == part)[1]) ?? throw new InvalidOperationException($"integral-symptoms.tsv: no range for '{part}'");

    static readonly CodeRanges Symptoms = Ranges("symptom");
    static readonly CodeRanges NotDefinitive = Ranges("not-definitive");
    static readonly HashSet<string> StatementKinds = Lines.Where(f => f[0] == "statement").Select(f => f[1]).ToHashSet(StringComparer.Ordinal);

    public static bool IsSymptom(string code) => Symptoms.Contains(code);

    public static bool IsDefinitive(string code) => !NotDefinitive.Contains(code);

    /// <summary>A section kind (<c>NoteSections</c>) that holds the note's diagnostic statement.</summary>
    public static bool IsDiagnosticStatement(string sectionKind) => StatementKinds.Contains(sectionKind);
}
