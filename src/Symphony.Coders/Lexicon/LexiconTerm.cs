namespace Symphony.Coders.Lexicon;

/// <summary>Where a term came from; earlier sources win when two terms cover the same words.</summary>
public enum TermSource
{
    SiteLexicon,
    Synonym,
    /// <summary>A procedure named in the note's words, composed with the PCS tables (<see cref="ProcedureTerms"/>).</summary>
    ProcedureName,
    Description,
    InclusionTerm,
    IndexTerm,
    NoteTerm,
    CategoryHead,
}

/// <summary>One way of naming a code: "renal colic" → ICD-10-CM N23.</summary>
/// <param name="Weight">Prior confidence that a match of this term means this code (0..1).</param>
public sealed record LexiconTerm(string Text, string System, string Code, TermSource Source, double Weight = 1.0);

public static class CodeSystems
{
    public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
    public const string Icd10Pcs = "http://www.cms.gov/Medicare/Coding/ICD10";

    /// <summary>Accepts the URLs above or the short names used in lexicon files (icd10cm, icd10pcs, ICD-10-CM, ICD-10-PCS).</summary>
    public static string Parse(string name) => name.Trim().ToLowerInvariant().Replace("-", "") switch
    {
        "icd10cm" or "http://hl7.org/fhir/sid/icd10cm" => Icd10Cm,
        "icd10pcs" or "http://www.cms.gov/medicare/coding/icd10" => Icd10Pcs,
        _ => throw new FormatException($"Unknown code system '{name}' (expected icd10cm or icd10pcs)."),
    };

    public static string ShortName(string system) => system == Icd10Pcs ? "icd10pcs" : "icd10cm";
}
