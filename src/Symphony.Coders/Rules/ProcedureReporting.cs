using Symphony.Coders.Text;

namespace Symphony.Coders.Rules;

/// <summary>
/// Which ICD-10-PCS codes real coding reports (Data/procedure-reporting.tsv): none for an outpatient visit (its procedures
/// are CPT/HCPCS), and for an inpatient stay the significant procedures (UHDDS), not diagnostic imaging, nuclear
/// medicine or measurement and monitoring.
/// </summary>
public static class ProcedureReporting
{
    public const string Name = "procedure-reporting";

    static readonly List<string[]> Lines = LanguageData.ReadLines("procedure-reporting.tsv").Select(l => l.Split('\t')).ToList();
    static readonly HashSet<string> Settings = Lines.Where(f => f[0] == "setting").Select(f => f[1]).ToHashSet(StringComparer.OrdinalIgnoreCase);
    static readonly HashSet<char> NotSignificant = Lines.Where(f => f[0] == "not-significant").Select(f => f[1][0]).ToHashSet();

    /// <summary>
    /// ICD-10-PCS index main terms that name a vital sign: a note writes them as a reading of the examination ("blood pressure
    /// of 110/80"), never as a procedure, in any convention; their index entries are not read as procedure names.
    /// </summary>
    public static readonly IReadOnlySet<string> Readings = Lines.Where(f => f[0] == "reading").Select(f => f[1]).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Why a procedure code is not reported in this setting, or null when it is.</summary>
    public static string? NotReported(string code, CareSetting setting)
    {
        if (!Settings.Contains(setting.ToString()))
            return $"{Name}: ICD-10-PCS is reported for inpatient stays; an {setting.ToString().ToLowerInvariant()} visit's procedures are CPT/HCPCS";
        if (code.Length > 0 && NotSignificant.Contains(code[0]))
            return $"{Name}: a diagnostic test (ICD-10-PCS section {code[0]}), not a significant procedure (UHDDS)";
        return null;
    }
}
