using System.Text.RegularExpressions;
using System.Xml;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Loaders;

/// <summary>
/// Loads a CDC ICD-10-CM release — a folder, a .zip, or several — holding any of: the tabular XML
/// (<c>ICD10CM.tabular</c>), the order file (fixed-width text), and the index XMLs (<c>ICD10CM.index</c>:
/// disease index, external-cause index, neoplasm table, drug table). Files are recognised by their
/// content, not their names. Everything is read with streaming XmlReader/StreamReader.
/// </summary>
public static partial class Icd10CmLoader
{
    public const string Url = "http://hl7.org/fhir/sid/icd-10-cm";

    public static CodeSystemVersion Load(params string[] paths) => Load(ReleaseFiles.From(paths));

    /// <param name="version">Overrides the version read from the tabular XML or the order file name.</param>
    public static CodeSystemVersion Load(IReadOnlyList<ReleaseFile> files, string? version = null)
    {
        ReleaseFile? tabular = null, order = null;
        var indexes = new List<ReleaseFile>();
        foreach (var file in files)
        {
            switch (Recognise(file))
            {
                case FileKind.Tabular: tabular = tabular is null ? file : throw Duplicate("tabular XML", tabular, file); break;
                case FileKind.Order: order = order is null ? file : throw Duplicate("order file", order, file); break;
                case FileKind.Index: indexes.Add(file); break;
            }
        }
        if (tabular is null && order is null)
            throw new InvalidDataException("No ICD-10-CM tabular XML (ICD10CM.tabular) or order file found in: " + string.Join(", ", files.Select(f => f.Name)));

        var concepts = new Dictionary<string, Concept>(100_000, StringComparer.Ordinal);
        string? tabularVersion = null;
        if (tabular is not null)
        {
            tabularVersion = ReadTabular(tabular, concepts);
            AddSeventhCharacterCodes(concepts);
        }
        if (order is not null) ApplyOrderFile(order, concepts);
        else MarkLeavesBillable(concepts);

        var entries = new List<IndexEntry>(indexes.Count == 0 ? 0 : 120_000);
        foreach (var index in indexes) ReadIndex(index, entries);

        version ??= tabularVersion ?? YearIn(order!.Name)
            ?? throw new InvalidDataException($"Cannot tell the ICD-10-CM version of {order.Name}: pass it explicitly.");
        return new CodeSystemVersion
        {
            Url = Url,
            Version = version,
            Name = "ICD-10-CM",
            EffectiveFrom = FiscalYearStart(version),
            Concepts = concepts,
            IndexEntries = entries,
        };
    }

    /// <summary>ICD-10-CM fiscal year N is in force from 1 October of year N-1.</summary>
    public static DateOnly? FiscalYearStart(string version) =>
        int.TryParse(version.AsSpan(0, Math.Min(4, version.Length)), out var year) && version.Length >= 4 ? new DateOnly(year - 1, 10, 1) : null;

    static InvalidDataException Duplicate(string what, ReleaseFile a, ReleaseFile b) =>
        new($"Two ICD-10-CM {what}s in one release: {a.Name} and {b.Name}");

    enum FileKind { Other, Tabular, Order, Index }

    static FileKind Recognise(ReleaseFile file)
    {
        if (file.Name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
        {
            return ReleaseFiles.XmlRootName(file) switch
            {
                "ICD10CM.tabular" => FileKind.Tabular,
                "ICD10CM.index" => FileKind.Index,
                _ => FileKind.Other,
            };
        }
        if (file.Name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            using var reader = new StreamReader(file.Open());
            var first = reader.ReadLine();
            return first is not null && OrderLine().IsMatch(first) ? FileKind.Order : FileKind.Other;
        }
        return FileKind.Other;
    }

    [GeneratedRegex(@"^\d{5} [A-Z][0-9A-Z]{2,6} *[01] ")]
    private static partial Regex OrderLine();

    [GeneratedRegex(@"20\d\d")]
    private static partial Regex Year();

    static string? YearIn(string name) => Year().Match(name) is { Success: true } m ? m.Value : null;

    /// <summary>"E1122" → "E11.22"; dotted or 3-character codes are returned as they are (upper-cased).</summary>
    public static string Dotted(string code)
    {
        code = code.Trim().ToUpperInvariant();
        return code.Length > 3 && !code.Contains('.') && char.IsAsciiLetter(code[0]) ? string.Concat(code.AsSpan(0, 3), ".", code.AsSpan(3)) : code;
    }

    // ---------------------------------------------------------------- tabular

    static string? ReadTabular(ReleaseFile file, Dictionary<string, Concept> concepts) =>
        Xml.ReadVersionAndEach(file, "chapter", r => ReadNode(r, "chapter", null, concepts));

    static readonly Dictionary<string, NoteKind> NoteElements = new(StringComparer.Ordinal)
    {
        ["inclusionTerm"] = NoteKind.InclusionTerm,
        ["includes"] = NoteKind.Includes,
        ["excludes1"] = NoteKind.Excludes1,
        ["excludes2"] = NoteKind.Excludes2,
        ["codeFirst"] = NoteKind.CodeFirst,
        ["useAdditionalCode"] = NoteKind.UseAdditionalCode,
        ["codeAlso"] = NoteKind.CodeAlso,
        ["notes"] = NoteKind.Note,
        ["sevenChrNote"] = NoteKind.Note,
    };

    /// <summary>Reads a chapter, section or diag element and everything below it.</summary>
    static void ReadNode(XmlReader r, string element, Concept? parent, Dictionary<string, Concept> concepts)
    {
        // Sections are keyed by their range; a one-category section ("B10") gets "B10-B10" so it
        // cannot collide with the category of the same name.
        var code = element == "section" ? SectionKey(r.GetAttribute("id")) : null;
        string? display = null;
        Concept? self = null;
        Concept Self()
        {
            if (self is not null) return self;
            if (string.IsNullOrEmpty(code)) throw new InvalidDataException($"ICD-10-CM tabular: a <{element}> without a name under {parent?.Code ?? "the root"}");
            self = new Concept { Code = code, Display = display ?? "", ParentCode = parent?.Code, Kind = KindOf(element, code) };
            if (!concepts.TryAdd(code, self)) throw new InvalidDataException($"ICD-10-CM tabular: {code} appears twice");
            parent?.Children.Add(code);
            return self;
        }

        Xml.Children(r, name =>
        {
            if (NoteElements.TryGetValue(name, out var kind))
            {
                var notes = Self().Notes;
                Xml.Children(r, child =>
                {
                    if (child == "note") notes.Add(new ConceptNote(kind, Xml.Text(r)));
                    else r.Skip();
                });
                return;
            }
            switch (name)
            {
                case "name": code = Xml.Text(r); break;
                case "desc": display = Xml.Text(r); Self(); break;
                case "sevenChrDef": Self().SeventhCharacters = ReadSeventhCharacters(r); break;
                case "section": ReadNode(r, "section", Self(), concepts); break;
                case "diag": ReadNode(r, "diag", Self(), concepts); break;
                default: r.Skip(); break;
            }
        });
        Self();
    }

    static string? SectionKey(string? id) => id is null ? null : id.Contains('-') ? id : id + "-" + id;

    static string KindOf(string element, string code) => element switch
    {
        "chapter" => "chapter",
        "section" => "section",
        _ => code.Length == 3 ? "category" : "subcategory",
    };

    static Dictionary<char, string> ReadSeventhCharacters(XmlReader r)
    {
        var map = new Dictionary<char, string>();
        Xml.Children(r, name =>
        {
            if (name != "extension") { r.Skip(); return; }
            var ch = r.GetAttribute("char");
            var meaning = Xml.Text(r);
            if (ch is { Length: 1 }) map[char.ToUpperInvariant(ch[0])] = meaning;
        });
        return map;
    }

    /// <summary>
    /// Every leaf below a <c>sevenChrDef</c> (the nearest one up the tree wins) becomes a header: its
    /// valid codes are the leaf padded with placeholder X to six characters plus each 7th character.
    /// </summary>
    static void AddSeventhCharacterCodes(Dictionary<string, Concept> concepts)
    {
        var leaves = concepts.Values.Where(c => c.Children.Count == 0 && c.Kind is "category" or "subcategory").ToList();
        foreach (var leaf in leaves)
        {
            var definition = SeventhCharactersInForce(leaf, concepts);
            if (definition is null) continue;
            var stem = leaf.Code.Replace(".", "").PadRight(6, 'X');
            foreach (var (ch, meaning) in definition)
            {
                var code = Dotted(stem + ch);
                var concept = new Concept { Code = code, Display = leaf.Display + ", " + meaning, ParentCode = leaf.Code, Kind = "code" };
                concept.Properties["seventh-character"] = meaning;
                if (concepts.TryAdd(code, concept)) leaf.Children.Add(code);
            }
        }
    }

    static IReadOnlyDictionary<char, string>? SeventhCharactersInForce(Concept concept, Dictionary<string, Concept> concepts)
    {
        for (Concept? c = concept; c is not null; c = c.ParentCode is null ? null : concepts.GetValueOrDefault(c.ParentCode))
        {
            if (c.SeventhCharacters is not null) return c.SeventhCharacters;
        }
        return null;
    }

    static void MarkLeavesBillable(Dictionary<string, Concept> concepts)
    {
        foreach (var c in concepts.Values)
        {
            if (c.Kind is "chapter" or "section") continue;
            c.IsBillable = c.Children.Count == 0;
            if (c.IsBillable && c.Kind == "subcategory") c.Kind = "code";
        }
    }

    // ---------------------------------------------------------------- order file

    /// <summary>One line of the order file: fixed width (order 1-5, code 7-13, valid 15, short 17-76, long 78+).</summary>
    public readonly record struct OrderEntry(string Code, bool Valid, string ShortDescription, string LongDescription);

    public static IEnumerable<OrderEntry> ReadOrderFile(ReleaseFile file)
    {
        using var reader = new StreamReader(file.Open());
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            if (line.Length < 16 || line[5] != ' ' || line[14] is not ('0' or '1'))
                throw new InvalidDataException($"{file.Name} line {lineNumber}: not an ICD-10-CM order-file line");
            var code = Dotted(line.AsSpan(6, 7).Trim().ToString());
            var shortText = line.Length > 16 ? line.Substring(16, Math.Min(60, line.Length - 16)).Trim() : "";
            var longText = line.Length > 77 ? line[77..].Trim() : shortText;
            yield return new OrderEntry(code, line[14] == '1', shortText, longText);
        }
    }

    /// <summary>
    /// The order file decides billability. Codes it lists that the tabular lacks (or all codes, for an
    /// order-file-only release) are added with their parent found by code prefix.
    /// </summary>
    static void ApplyOrderFile(ReleaseFile file, Dictionary<string, Concept> concepts)
    {
        var fromTabular = concepts.Count > 0;
        foreach (var c in concepts.Values) c.IsBillable = false;
        foreach (var entry in ReadOrderFile(file))
        {
            if (!concepts.TryGetValue(entry.Code, out var concept))
            {
                var parent = ParentByPrefix(entry.Code, concepts);
                concept = new Concept { Code = entry.Code, Display = entry.LongDescription, ParentCode = parent?.Code };
                concepts.Add(entry.Code, concept);
                parent?.Children.Add(entry.Code);
            }
            else if (fromTabular && entry.LongDescription != concept.Display)
            {
                concept.Designations.Add(new Designation(entry.LongDescription));
            }
            concept.ShortDisplay = entry.ShortDescription;
            concept.IsBillable = entry.Valid;
        }
        foreach (var c in concepts.Values)
        {
            if (c.Kind is "chapter" or "section") continue;
            c.Kind = c.Code.Length == 3 ? "category" : c.IsBillable ? "code" : "subcategory";
        }
    }

    static Concept? ParentByPrefix(string code, Dictionary<string, Concept> concepts)
    {
        for (var length = code.Length - 1; length >= 3; length--)
        {
            if (code[length - 1] is '.' or 'X') continue;
            if (concepts.TryGetValue(code[..length], out var parent)) return parent;
        }
        return null;
    }

    // ---------------------------------------------------------------- indexes

    static void ReadIndex(ReleaseFile file, List<IndexEntry> entries)
    {
        using var stream = file.Open();
        using var r = XmlReader.Create(stream, Xml.Settings);
        r.MoveToContent();
        string? title = null, index = null;
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        Xml.Children(r, name =>
        {
            switch (name)
            {
                case "title": title = Xml.Text(r); break;
                case "indexHeading":
                    Xml.Children(r, head =>
                    {
                        var col = r.GetAttribute("col");
                        var text = Xml.Text(r);
                        if (head == "head" && col is not null) columns[col] = text;
                    });
                    break;
                case "letter":
                    index ??= IndexName(file.Name, title, columns);
                    Xml.Children(r, term =>
                    {
                        if (term == "mainTerm") ReadTerm(r, [], [], index, columns, entries);
                        else r.Skip();
                    });
                    break;
                default: r.Skip(); break;
            }
        });
    }

    static string IndexName(string fileName, string? title, Dictionary<string, string> columns)
    {
        if (columns.TryGetValue("1", out var first))
        {
            if (first.Contains("Neoplasm", StringComparison.OrdinalIgnoreCase)) return "neoplasm";
            if (first.Contains("Substance", StringComparison.OrdinalIgnoreCase) || first.Contains("Drug", StringComparison.OrdinalIgnoreCase)) return "drug";
        }
        if (title?.Contains("EXTERNAL CAUSE", StringComparison.OrdinalIgnoreCase) == true || fileName.Contains("eindex", StringComparison.OrdinalIgnoreCase))
            return "external-cause";
        if (fileName.Contains("neoplasm", StringComparison.OrdinalIgnoreCase)) return "neoplasm";
        if (fileName.Contains("drug", StringComparison.OrdinalIgnoreCase)) return "drug";
        return "disease";
    }

    /// <summary>Flattens one mainTerm/term: its own lines first, then those of its subterms.</summary>
    static void ReadTerm(XmlReader r, IReadOnlyList<string> parentPath, IReadOnlyList<string> parentModifiers,
        string index, Dictionary<string, string> columns, List<IndexEntry> entries)
    {
        IReadOnlyList<string> path = parentPath;
        IReadOnlyList<string> modifiers = parentModifiers;
        var codes = new List<string>(1);
        var cells = new List<(string Column, string Code)>();
        string? see = null, seeAlso = null, manifestation = null;
        var emitted = false;

        void Emit()
        {
            if (emitted) return;
            emitted = true;
            foreach (var code in codes)
                entries.Add(new IndexEntry(path, code, index) { Modifiers = modifiers, SeeAlso = seeAlso, Manifestation = manifestation });
            foreach (var (column, code) in cells)
                entries.Add(new IndexEntry(path, code, index, column) { Modifiers = modifiers, SeeAlso = seeAlso });
            if (see is not null || (codes.Count == 0 && cells.Count == 0 && seeAlso is not null))
                entries.Add(new IndexEntry(path, "", index) { Modifiers = modifiers, See = see, SeeAlso = seeAlso });
        }

        Xml.Children(r, name =>
        {
            switch (name)
            {
                case "title":
                    var nemods = new List<string>();
                    var title = Xml.MixedText(r, nemods, "nemod");
                    path = [.. parentPath, title];
                    if (nemods.Count > 0) modifiers = [.. parentModifiers, .. nemods];
                    break;
                case "code" or "subcat" or "seecat":
                    var code = Xml.Text(r);
                    if (code.Length > 0) codes.Add(Dotted(code));
                    break;
                case "manif": manifestation = Dotted(Xml.Text(r)); break;
                case "see": see = Xml.Text(r); break;
                case "seeAlso": seeAlso = Xml.Text(r); break;
                case "cell":
                    var col = r.GetAttribute("col");
                    var value = Xml.Text(r);
                    if (col is not null && value.Trim('-').Length > 0)
                        cells.Add((columns.GetValueOrDefault(col, col), Dotted(value)));
                    break;
                case "term":
                    Emit();
                    ReadTerm(r, path, modifiers, index, columns, entries);
                    break;
                default: r.Skip(); break;
            }
        });
        Emit();
    }
}
