// Not "…Server.Coding": that namespace would hide Hl7.Fhir.Model.Coding everywhere under Symphony.Fhir.Server.
namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>Canonical URLs of the profiles in profiles/ that written resources claim.</summary>
public static class ProfileUrls
{
    public const string Base = "https://symphony-fhir.dev/StructureDefinition/";
    public const string CodedCondition = Base + "symphony-coded-condition";
    public const string Claim = Base + "symphony-claim";
    public const string EvidenceProvenance = Base + "symphony-evidence-provenance";
    public const string DerivationReference = "http://hl7.org/fhir/StructureDefinition/derivation-reference";
    public const string MachineSuggestedTagSystem = "https://symphony-fhir.dev/CodeSystem/coding-origin";
    public const string MachineSuggestedTagCode = "machine-suggested";
    /// <summary>A person's decision replaced the machine-suggested tag (see docs/coding.md, "Review").</summary>
    public const string ReviewedTagCode = "reviewed";
    /// <summary>A decision of an earlier note version whose evidence changed in the new text: a person must decide again (docs/review.md).</summary>
    public const string NeedsReviewTagCode = "needs-review";
    /// <summary>meta.tag of a Procedure whose ICD-10-PCS code is a partial one (the table prefix): never on the Claim.</summary>
    public const string CodeCompletenessTagSystem = "https://symphony-fhir.dev/CodeSystem/code-completeness";
    public const string IncompleteTagCode = "incomplete";
}
