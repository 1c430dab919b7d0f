namespace Symphony.Terminology.Model;

/// <summary>The kinds of tabular-list notes a coder reads next to a code.</summary>
public enum NoteKind
{
    InclusionTerm,
    Includes,
    Excludes1,
    Excludes2,
    CodeFirst,
    UseAdditionalCode,
    CodeAlso,
    Note,
}

public sealed record ConceptNote(NoteKind Kind, string Text);

/// <summary>
/// A further name of a concept (FHIR <c>CodeSystem.concept.designation</c>): <see cref="Language"/> decides which
/// notes it is read in (null: the code system's language), <see cref="Use"/> tells a synonym from a display
/// (a designation-usage or SNOMED CT use code, null when not given).
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(DesignationJsonConverter))]
public sealed record Designation(string Value, string? Language = null, string? Use = null)
{
    /// <summary>Designations were plain strings before they carried language and use; callers that read only the text keep working.</summary>
    public static implicit operator string(Designation designation) => designation.Value;

    public override string ToString() => Value;
}

/// <summary>
/// One code of a code system version. ICD-10-CM codes are kept dotted (E11.22) as in the
/// tabular list and FHIR; ICD-10-PCS codes have no dot.
/// </summary>
public sealed class Concept
{
    public required string Code { get; init; }
    public required string Display { get; set; }
    public string? ShortDisplay { get; set; }
    public string? ParentCode { get; set; }
    public List<string> Children { get; } = [];
    /// <summary>Valid for reporting (a leaf in ICD-10-CM, a full 7-character PCS code).</summary>
    public bool IsBillable { get; set; }
    /// <summary>Chapter, section, category, subcategory, code — or "concept" for generic systems.</summary>
    public string Kind { get; set; } = "code";
    public List<ConceptNote> Notes { get; } = [];
    /// <summary>Further names: synonyms, other-language designations.</summary>
    public List<Designation> Designations { get; } = [];
    /// <summary>Named properties (e.g. PCS axis meanings "body-part" → "Kidney, Right").</summary>
    public Dictionary<string, string> Properties { get; } = new(StringComparer.Ordinal);
    /// <summary>
    /// ICD-10-CM <c>sevenChrDef</c> declared on this node (7th character → meaning), or null. It applies
    /// to every code below this node unless a nearer node declares its own; the loader has already
    /// generated the resulting 7-character codes as concepts.
    /// </summary>
    public IReadOnlyDictionary<char, string>? SeventhCharacters { get; set; }
}
