namespace Symphony.Terminology.Model;

/// <summary>
/// One flattened line of an alphabetic index or table: the term path from the main term down
/// (e.g. ["Colic", "renal"]) and the code it leads to. <see cref="Index"/> names the index
/// (disease, external-cause, neoplasm, drug, pcs); <see cref="Column"/> names the table column
/// for the neoplasm and drug tables (e.g. "Malignant Primary", "Poisoning, Accidental").
/// </summary>
public sealed record IndexEntry(IReadOnlyList<string> Path, string Code, string Index, string? Column = null);
