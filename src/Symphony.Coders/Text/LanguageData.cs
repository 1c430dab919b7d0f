using System.Collections.Frozen;
using System.Reflection;

namespace Symphony.Coders.Text;

/// <summary>
/// The per-language data files shipped inside the assembly (Data/*.txt|tsv): stopwords, context
/// triggers, abbreviations and synonyms. Lines starting with '#' are comments.
/// </summary>
public sealed class LanguageData
{
    static readonly LanguageData English = new(Language.English);
    static readonly LanguageData Spanish = new(Language.Spanish);

    public static LanguageData For(Language language) => language == Language.Spanish ? Spanish : English;

    public Language Language { get; }
    public FrozenSet<string> Stopwords { get; }
    /// <summary>Word → canonical word with the same meaning for matching (Data/equivalents-{lang}.tsv).</summary>
    public FrozenDictionary<string, string> Equivalents { get; }

    LanguageData(Language language)
    {
        Language = language;
        Stopwords = ReadLines($"stopwords-{language.ToCode()}.txt")
            .Select(w => TextNormalizer.FoldAndStem(w, language))
            .ToFrozenSet(StringComparer.Ordinal);
        var equivalents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in ReadLines($"equivalents-{language.ToCode()}.tsv"))
        {
            var f = line.Split('\t');
            var canonical = TextNormalizer.FoldAndStem(f[^1], language);
            foreach (var word in f[..^1]) equivalents[TextNormalizer.FoldAndStem(word, language)] = canonical;
        }
        Equivalents = equivalents.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Non-empty, non-comment lines of an embedded data file.</summary>
    public static IEnumerable<string> ReadLines(string fileName)
    {
        var assembly = typeof(LanguageData).Assembly;
        var name = $"Symphony.Coders.Data.{fileName}";
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded data file {name} is missing.");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            var trimmed = line.TrimEnd();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            lines.Add(trimmed);
        }
        return lines;
    }
}
