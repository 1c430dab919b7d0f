extern alias coder;
// Not "…Server.Coding": that namespace would hide Hl7.Fhir.Model.Coding everywhere under Symphony.Fhir.Server.
namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>Which coder produced the codes; becomes the Provenance agent Device.</summary>
public sealed record CoderIdentity(string Name, string Version, string Path)
{
    public static CoderIdentity Embedded { get; } = new(
        "Symphony embedded coder",
        typeof(coder::Symphony.Coding.CodingResult).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        "embedded");
}
