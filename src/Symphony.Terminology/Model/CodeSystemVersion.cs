namespace Symphony.Terminology.Model;

/// <summary>
/// One loaded release of a code system, compiled in memory: what the coder and the terminology
/// operations read. Immutable once loaded.
/// </summary>
public sealed class CodeSystemVersion
{
    public required string Url { get; init; }
    public required string Version { get; init; }
    public required string Name { get; init; }
    /// <summary>First day this release is in force (ICD-10-CM: 1 October of the year before the fiscal year).</summary>
    public DateOnly? EffectiveFrom { get; init; }
    /// <summary>The language of the displays (FHIR <c>CodeSystem.language</c>, e.g. "en"), or null when not stated.</summary>
    public string? Language { get; init; }
    public required IReadOnlyDictionary<string, Concept> Concepts { get; init; }
    public IReadOnlyList<IndexEntry> IndexEntries { get; init; } = [];

    public Concept? Find(string code) => Concepts.GetValueOrDefault(code);
}
