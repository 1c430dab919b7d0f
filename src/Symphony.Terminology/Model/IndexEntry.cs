namespace Symphony.Terminology.Model;

/// <summary>
/// One flattened line of an alphabetic index or table: the term path from the main term down
/// (e.g. ["Colic", "renal"]) and the code it leads to. <see cref="Index"/> names the index
/// (disease, external-cause, neoplasm, drug, pcs); <see cref="Column"/> names the table column
/// for the neoplasm and drug tables (e.g. "Malignant Primary", "Poisoning, Accidental").
/// </summary>
/// <remarks>
/// <see cref="Code"/> is dotted as given by the index and may be incomplete ("S52.52-", "T75.0");
/// it is empty when the line is only a cross-reference (<see cref="See"/>).
/// </remarks>
public sealed record IndexEntry(IReadOnlyList<string> Path, string Code, string Index, string? Column = null)
{
    /// <summary>Nonessential modifiers (<c>&lt;nemod&gt;</c>) met along the path, e.g. "(adult) (child)"; they are not part of <see cref="Path"/>.</summary>
    public IReadOnlyList<string> Modifiers { get; init; } = [];
    /// <summary>"see" target (another index term path, comma separated as printed), when the line points elsewhere.</summary>
    public string? See { get; init; }
    /// <summary>"see also" target printed on this line, kept as given.</summary>
    public string? SeeAlso { get; init; }
    /// <summary>Manifestation code printed in brackets after the code (disease index), dotted.</summary>
    public string? Manifestation { get; init; }
    /// <summary>ICD-10-PCS "use" target: the axis value (body part, device...) a term stands for.</summary>
    public string? Use { get; init; }
}
