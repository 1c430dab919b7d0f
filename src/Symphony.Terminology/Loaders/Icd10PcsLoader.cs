using System.Xml;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Loaders;

/// <summary>
/// Loads a CMS ICD-10-PCS release (folder, .zip, or several): the tables XML (<c>ICD10PCS.tabular</c>)
/// gives every valid 7-character code, with each axis value as a property; 1- to 4-character prefixes
/// become non-billable grouping concepts (section, body system, table, table + 4th character — the
/// 4-character form is what CodiEsp accepts as a partial code). The index XML (<c>ICD10PCS.index</c>)
/// gives index entries. Files are recognised by their root element.
/// </summary>
public static class Icd10PcsLoader
{
    public const string Url = "http://www.cms.gov/Medicare/Coding/ICD10";

    public static CodeSystemVersion Load(params string[] paths) => Load(ReleaseFiles.From(paths));

    public static CodeSystemVersion Load(IReadOnlyList<ReleaseFile> files, string? version = null)
    {
        var concepts = new Dictionary<string, Concept>(90_000, StringComparer.Ordinal);
        var entries = new List<IndexEntry>();
        string? tablesVersion = null;
        var sawTables = false;
        foreach (var file in files)
        {
            if (!file.Name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)) continue;
            switch (ReleaseFiles.XmlRootName(file))
            {
                case "ICD10PCS.tabular": tablesVersion = ReadTables(file, concepts); sawTables = true; break;
                case "ICD10PCS.index": ReadIndex(file, entries); break;
            }
        }
        if (!sawTables)
            throw new InvalidDataException("No ICD-10-PCS tables XML (ICD10PCS.tabular) found in: " + string.Join(", ", files.Select(f => f.Name)));
        version ??= tablesVersion ?? throw new InvalidDataException("The ICD-10-PCS tables XML has no <version>: pass the version explicitly.");
        return new CodeSystemVersion
        {
            Url = Url,
            Version = version,
            Name = "ICD-10-PCS",
            EffectiveFrom = Icd10CmLoader.FiscalYearStart(version),
            Concepts = concepts,
            IndexEntries = entries,
        };
    }

    /// <summary>One value of one axis: position 1-7, its code character, its label, and the axis title.</summary>
    sealed record AxisValue(int Position, char Code, string Label, string Title)
    {
        public string Property { get; } = Title.ToLowerInvariant().Replace(" / ", "-").Replace(' ', '-');
    }

    static string? ReadTables(ReleaseFile file, Dictionary<string, Concept> concepts) =>
        Xml.ReadVersionAndEach(file, "pcsTable", r => ReadTable(r, concepts));

    static void ReadTable(XmlReader r, Dictionary<string, Concept> concepts)
    {
        var head = new List<AxisValue>(3);
        string? operationDefinition = null;
        Xml.Children(r, name =>
        {
            switch (name)
            {
                case "axis":
                    var values = ReadAxis(r, out var definition);
                    head.AddRange(values);
                    operationDefinition ??= definition;
                    break;
                case "pcsRow":
                    var table = AddTable(head, operationDefinition, concepts);
                    var axes = new List<List<AxisValue>>(4);
                    Xml.Children(r, axis =>
                    {
                        if (axis == "axis") axes.Add(ReadAxis(r, out _));
                        else r.Skip();
                    });
                    AddRowCodes(table, head, axes, concepts);
                    break;
                default: r.Skip(); break;
            }
        });
    }

    static List<AxisValue> ReadAxis(XmlReader r, out string? definition)
    {
        var position = int.Parse(r.GetAttribute("pos") ?? throw new InvalidDataException("ICD-10-PCS <axis> without pos"));
        string title = "";
        string? def = null;
        var labels = new List<(char Code, string Label)>();
        Xml.Children(r, name =>
        {
            switch (name)
            {
                case "title": title = Xml.Text(r); break;
                case "definition": def = Xml.Text(r); break;
                case "label":
                    var code = r.GetAttribute("code");
                    var label = Xml.Text(r);
                    if (code is { Length: 1 }) labels.Add((code[0], label));
                    break;
                default: r.Skip(); break;
            }
        });
        definition = def;
        return labels.Select(l => new AxisValue(position, l.Code, l.Label, title)).ToList();
    }

    /// <summary>Adds (once) the section, body-system and table concepts above a table's rows; returns the table.</summary>
    static Concept AddTable(List<AxisValue> head, string? operationDefinition, Dictionary<string, Concept> concepts)
    {
        if (head.Count != 3) throw new InvalidDataException($"ICD-10-PCS table with {head.Count} head axes instead of 3");
        Concept? parent = null;
        var code = "";
        foreach (var axis in head)
        {
            code += axis.Code;
            var display = axis.Position == 3 ? $"{head[0].Label}, {head[1].Label}, {axis.Label}" : axis.Label;
            var concept = Grouping(code, display, parent, concepts);
            concept.Properties.TryAdd(axis.Property, axis.Label);
            if (axis.Position == 3 && operationDefinition is not null) concept.Properties.TryAdd("definition", operationDefinition);
            parent = concept;
        }
        return parent!;
    }

    static Concept Grouping(string code, string display, Concept? parent, Dictionary<string, Concept> concepts)
    {
        if (concepts.TryGetValue(code, out var existing)) return existing;
        var concept = new Concept
        {
            Code = code,
            Display = display,
            ParentCode = parent?.Code,
            Kind = code.Length switch { 1 => "section", 2 => "body-system", 3 => "table", _ => "prefix" },
        };
        concepts.Add(code, concept);
        parent?.Children.Add(code);
        return concept;
    }

    static void AddRowCodes(Concept table, List<AxisValue> head, List<List<AxisValue>> axes, Dictionary<string, Concept> concepts)
    {
        if (axes.Count != 4 || axes.Any(a => a.Count == 0) || axes.Select(a => a[0].Position).Order().SequenceEqual([4, 5, 6, 7]) is false)
            throw new InvalidDataException($"ICD-10-PCS table {table.Code}: a row without exactly the axes 4 to 7");
        axes.Sort((a, b) => a[0].Position.CompareTo(b[0].Position));
        foreach (var fourth in axes[0])
        {
            var prefix = Grouping(table.Code + fourth.Code, $"{head[2].Label}, {fourth.Label}", table, concepts);
            prefix.Properties.TryAdd(fourth.Property, fourth.Label);
            foreach (var fifth in axes[1])
            foreach (var sixth in axes[2])
            foreach (var seventh in axes[3])
            {
                var code = string.Create(7, (table.Code, fourth.Code, fifth.Code, sixth.Code, seventh.Code), static (span, v) =>
                {
                    v.Item1.AsSpan().CopyTo(span);
                    span[3] = v.Item2; span[4] = v.Item3; span[5] = v.Item4; span[6] = v.Item5;
                });
                var concept = new Concept
                {
                    Code = code,
                    Display = LongTitle(head[2].Label, fourth.Label, fifth, sixth, seventh),
                    ParentCode = prefix.Code,
                    IsBillable = true,
                    Kind = "code",
                };
                foreach (var axis in head) concept.Properties[axis.Property] = axis.Label;
                concept.Properties[fourth.Property] = fourth.Label;
                concept.Properties[fifth.Property] = fifth.Label;
                concept.Properties[sixth.Property] = sixth.Label;
                concept.Properties[seventh.Property] = seventh.Label;
                if (concepts.TryAdd(code, concept)) prefix.Children.Add(code);
            }
        }
    }

    /// <summary>
    /// The CMS long-title pattern: "Operation of Body Part[ to Qualifier] [with Device], Approach[, Qualifier]",
    /// e.g. "Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach".
    /// The "No Device"/"No Qualifier" values are left out.
    /// </summary>
    static string LongTitle(string operation, string fourth, AxisValue fifth, AxisValue sixth, AxisValue seventh)
    {
        var bypass = operation == "Bypass";
        var title = bypass ? $"{operation} {fourth}" : $"{operation} of {fourth}";
        var hasQualifier = !seventh.Label.StartsWith("No ", StringComparison.Ordinal);
        if (bypass && hasQualifier) title += " to " + seventh.Label;
        if (!sixth.Label.StartsWith("No ", StringComparison.Ordinal)) title += " with " + sixth.Label;
        title += ", " + fifth.Label;
        if (fifth.Title == "Approach" && !fifth.Label.EndsWith("Approach", StringComparison.Ordinal)) title += " Approach";
        if (!bypass && hasQualifier) title += ", " + seventh.Label;
        return title;
    }

    static void ReadIndex(ReleaseFile file, List<IndexEntry> entries)
    {
        using var stream = file.Open();
        using var r = XmlReader.Create(stream, Xml.Settings);
        r.MoveToContent();
        Xml.Children(r, name =>
        {
            if (name != "letter") { r.Skip(); return; }
            Xml.Children(r, term =>
            {
                if (term == "mainTerm") ReadTerm(r, [], entries);
                else r.Skip();
            });
        });
    }

    static void ReadTerm(XmlReader r, IReadOnlyList<string> parentPath, List<IndexEntry> entries)
    {
        IReadOnlyList<string> path = parentPath;
        Xml.Children(r, name =>
        {
            switch (name)
            {
                case "title": path = [.. parentPath, Xml.Text(r)]; break;
                case "code": entries.Add(new IndexEntry(path, Xml.Text(r), "pcs")); break;
                case "see":
                    var codes = new List<string>(1);
                    var see = Xml.MixedText(r, codes, "codes", "tab");
                    if (codes.Count == 0) entries.Add(new IndexEntry(path, "", "pcs") { See = see });
                    foreach (var code in codes) entries.Add(new IndexEntry(path, code, "pcs") { See = see });
                    break;
                case "use": entries.Add(new IndexEntry(path, "", "pcs") { Use = Xml.Text(r) }); break;
                case "term": ReadTerm(r, path, entries); break;
                default: r.Skip(); break;
            }
        });
    }
}
