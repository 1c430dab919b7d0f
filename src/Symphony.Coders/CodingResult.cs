using Symphony.Coders.Context;
using Symphony.Coders.Text;

namespace Symphony.Coders;

public enum CareSetting
{
    Inpatient,
    Outpatient,
}

/// <summary>How to code a note.</summary>
public sealed record CodingOptions
{
    public CareSetting Setting { get; init; } = CareSetting.Inpatient;
    public Language Language { get; init; } = Language.English;
    /// <summary>
    /// Code every mention whatever its status (negated, historical...), as some annotated corpora
    /// do (CodiEsp coders coded negated findings too). Off for real coding.
    /// </summary>
    public bool CodeEveryMention { get; init; }
    /// <summary>Apply Excludes1 conflict resolution between the codes found.</summary>
    public bool ResolveExcludes1 { get; init; } = true;
    /// <summary>Merge pairs into combination codes (diabetes with CKD, hypertension with heart failure...).</summary>
    public bool ApplyCombinations { get; init; } = true;
    /// <summary>
    /// Report status Z codes the note supports (Data/status-codes-{lang}.tsv): long-term drug therapy (Z79), implants
    /// and grafts (Z95, Z96), acquired absence (Z90), transplant status (Z94), dependence on machines (Z99). On by
    /// default; off for sites that do not code them.
    /// </summary>
    public bool StatusCodes { get; init; } = true;
    /// <summary>
    /// Report a partial ICD-10-PCS code (a table prefix, when the note does not say enough for seven characters) for a
    /// person to complete. On by default (the server writes it as an incomplete Procedure, never on the Claim); off where
    /// only codes a coder signs count, as in the annotated English set.
    /// </summary>
    public bool PartialProcedures { get; init; } = true;
    /// <summary>Only codes in this set are reported (a ValueSet expansion); null allows every code of the loaded systems.</summary>
    public AllowedCodes? AllowedCodes { get; init; }

    public static CodingOptions Default { get; } = new();
}

/// <summary>A piece of the note that supports a code. <see cref="Text"/> equals note.Substring(Start, Length).</summary>
public sealed record EvidenceSpan(int Start, int Length, string Text);

/// <summary>A code the coder proposes, with its evidence and the named rules that produced it.</summary>
public sealed record CodedConcept(
    string System,
    string Code,
    string Display,
    double Confidence,
    IReadOnlyList<EvidenceSpan> Spans,
    MentionStatus Status,
    IReadOnlyList<string> Rules)
{
    /// <summary>What the confidence is made of, and why the code leads the list when it does (null when not ranked by the coder).</summary>
    public ConfidenceBasis? Basis { get; init; }
    /// <summary>The principal (inpatient) or first-listed (outpatient) diagnosis: the reason for the stay or visit the note names.</summary>
    public bool IsPrincipal => Basis?.Principal is not null;
}

/// <summary>A code that was considered and not proposed, and why (e.g. "negated: 'no evidence of'", "Excludes1 with I10").</summary>
public sealed record RejectedCandidate(string System, string Code, string Display, string Reason, IReadOnlyList<EvidenceSpan> Spans);

public sealed record CodingResult(IReadOnlyList<CodedConcept> Codes, IReadOnlyList<RejectedCandidate> Rejected)
{
    public static CodingResult Empty { get; } = new([], []);
    public IEnumerable<CodedConcept> Diagnoses => Codes.Where(c => c.System == Lexicon.CodeSystems.Icd10Cm);
    public IEnumerable<CodedConcept> Procedures => Codes.Where(c => c.System == Lexicon.CodeSystems.Icd10Pcs);
}
