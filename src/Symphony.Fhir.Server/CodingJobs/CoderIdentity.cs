// Not "…Server.Coding": that namespace would hide Hl7.Fhir.Model.Coding everywhere under Symphony.Fhir.Server.
namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>Which coder produced the codes; becomes the Provenance agent Device.</summary>
public sealed record CoderIdentity(string Name, string Version, string Path)
{
    /// <summary>What this run did (model calls, tokens, fallback reason); the Provenance activity. Not part of the Device.</summary>
    public string? Run { get; init; }

    public static CoderIdentity Embedded { get; } = new(
        "Symphony embedded coder",
        typeof(Symphony.Coders.CodingResult).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        "embedded");
}
