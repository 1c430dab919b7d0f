using Symphony.Coders.Text;

namespace Symphony.Coders.Lexicon;

/// <summary>One line of a site lexicon: a site's own phrase for a code.</summary>
public sealed record SiteLexiconEntry(string Term, string System, string Code, Language Language, double Weight = 1.0);

/// <summary>
/// A site lexicon teaches the coder a site's own phrasing without retraining: a TSV file with
/// columns term, system (icd10cm|icd10pcs), code, language (en|es) and an optional weight
/// (how often the phrase meant the code, 0..1). A header line and '#' comments are allowed.
/// </summary>
public static class SiteLexicon
{
    public const string Header = "term\tsystem\tcode\tlanguage\tweight";

    public static List<SiteLexiconEntry> Read(TextReader reader)
    {
        var entries = new List<SiteLexiconEntry>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("term\t", StringComparison.Ordinal)) continue;
            var fields = line.Split('\t');
            if (fields.Length < 4 || fields[0].Trim().Length == 0)
                throw new FormatException($"Site lexicon line {lineNumber}: expected term<TAB>system<TAB>code<TAB>language[<TAB>weight].");
            var weight = fields.Length > 4 && double.TryParse(fields[4], System.Globalization.CultureInfo.InvariantCulture, out var w) ? w : 1.0;
            entries.Add(new SiteLexiconEntry(fields[0].Trim(), CodeSystems.Parse(fields[1]), NormalizeCode(fields[2], CodeSystems.Parse(fields[1])), LanguageCodes.Parse(fields[3]), weight));
        }
        return entries;
    }

    public static List<SiteLexiconEntry> Load(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader);
    }

    public static void Write(TextWriter writer, IEnumerable<SiteLexiconEntry> entries)
    {
        writer.WriteLine(Header);
        foreach (var e in entries)
            writer.WriteLine($"{e.Term}\t{CodeSystems.ShortName(e.System)}\t{e.Code}\t{e.Language.ToCode()}\t{e.Weight.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}");
    }

    /// <summary>Codes as the code system writes them: ICD-10-CM upper case and dotted (E11.22), ICD-10-PCS upper case without dot.</summary>
    public static string NormalizeCode(string code, string system)
    {
        var c = code.Trim().ToUpperInvariant().Replace(".", "");
        if (system == CodeSystems.Icd10Pcs || c.Length <= 3) return c;
        return c[..3] + "." + c[3..];
    }
}
