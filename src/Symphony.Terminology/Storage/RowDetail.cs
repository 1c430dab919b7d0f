using System.Text.Json;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Storage;

/// <summary>The parts of a concept that are lists or maps, stored as one JSON text column (null when all are empty).</summary>
internal sealed record ConceptDetail(
    List<ConceptNote>? Notes, List<Designation>? Designations, Dictionary<string, string>? Properties, Dictionary<string, string>? SeventhCharacters)
{
    public static string? Serialize(Concept c)
    {
        if (c.Notes.Count == 0 && c.Designations.Count == 0 && c.Properties.Count == 0 && c.SeventhCharacters is null) return null;
        return JsonSerializer.Serialize(new ConceptDetail(
            c.Notes.Count > 0 ? c.Notes : null,
            c.Designations.Count > 0 ? c.Designations : null,
            c.Properties.Count > 0 ? c.Properties : null,
            c.SeventhCharacters?.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value)));
    }

    public static void Apply(string json, Concept c)
    {
        var detail = JsonSerializer.Deserialize<ConceptDetail>(json)!;
        if (detail.Notes is not null) c.Notes.AddRange(detail.Notes);
        if (detail.Designations is not null) c.Designations.AddRange(detail.Designations);
        if (detail.Properties is not null) foreach (var (k, v) in detail.Properties) c.Properties[k] = v;
        if (detail.SeventhCharacters is not null) c.SeventhCharacters = detail.SeventhCharacters.ToDictionary(kv => kv.Key[0], kv => kv.Value);
    }
}

internal sealed record IndexEntryDetail(List<string>? Modifiers, string? See, string? SeeAlso, string? Manifestation, string? Use)
{
    const char PathSeparator = '\u001f';

    public static string JoinPath(IReadOnlyList<string> path) => string.Join(PathSeparator, path);

    public static string? Serialize(IndexEntry e)
    {
        if (e.Modifiers.Count == 0 && e.See is null && e.SeeAlso is null && e.Manifestation is null && e.Use is null) return null;
        return JsonSerializer.Serialize(new IndexEntryDetail(e.Modifiers.Count > 0 ? [.. e.Modifiers] : null, e.See, e.SeeAlso, e.Manifestation, e.Use));
    }

    public static IndexEntry Read(string index, string path, string code, string? column, string? json)
    {
        var entry = new IndexEntry(path.Split(PathSeparator), code, index, column);
        if (json is null) return entry;
        var d = JsonSerializer.Deserialize<IndexEntryDetail>(json)!;
        return entry with { Modifiers = d.Modifiers ?? [], See = d.See, SeeAlso = d.SeeAlso, Manifestation = d.Manifestation, Use = d.Use };
    }
}
