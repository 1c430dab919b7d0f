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
}
