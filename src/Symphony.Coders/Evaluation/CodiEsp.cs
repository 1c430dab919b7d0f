using System.Text;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Evaluation;

/// <summary>A gold CodiEsp-X line: a code with the (Spanish) text reference that supports it.</summary>
/// <param name="Start">Code-point offset of the first fragment; <paramref name="End"/> the end of the last (discontinuous references keep only their outer bounds).</param>
public sealed record CodiEspMention(string Document, string Code, bool IsProcedure, string Reference, int Start, int End);

/// <summary>One split of a corpus in the CodiEsp layout: texts and, when present, gold D/P/X annotations.</summary>
public sealed class CodiEspSplit
{
    public required string Name { get; init; }
    public required IReadOnlyDictionary<string, string> Texts { get; init; }
    public Dictionary<string, HashSet<string>>? GoldD { get; init; }
    public Dictionary<string, HashSet<string>>? GoldP { get; init; }
    public List<CodiEspMention>? GoldX { get; init; }

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads <c>&lt;dir&gt;/&lt;split&gt;/text_files[_en]/*.txt</c> and the split's D/P/X TSVs when they exist.</summary>
    public static CodiEspSplit Load(string dataDir, string split, Language language)
    {
        var splitDir = Path.Combine(dataDir, split);
        var textDir = Path.Combine(splitDir, language == Language.Spanish ? "text_files" : "text_files_en");
        if (!Directory.Exists(textDir)) throw new DirectoryNotFoundException($"No CodiEsp texts at {textDir}.");
        var texts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(textDir, "*.txt"))
            texts[Path.GetFileNameWithoutExtension(file)] = File.ReadAllText(file, StrictUtf8);
        string Tsv(string track) => Path.Combine(splitDir, $"{split}{track}.tsv");
        return new CodiEspSplit
        {
            Name = split,
            Texts = texts,
            GoldD = File.Exists(Tsv("D")) ? ReadCodes(File.ReadLines(Tsv("D"))) : null,
            GoldP = File.Exists(Tsv("P")) ? ReadCodes(File.ReadLines(Tsv("P"))) : null,
            GoldX = File.Exists(Tsv("X")) ? ReadMentions(File.ReadLines(Tsv("X"))).ToList() : null,
        };
    }

    public static Dictionary<string, HashSet<string>> ReadCodes(IEnumerable<string> lines)
    {
        var codes = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var f = line.Split('\t');
            if (f.Length < 2) continue;
            if (!codes.TryGetValue(f[0], out var set)) codes[f[0]] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(f[1].Trim().ToLowerInvariant());
        }
        return codes;
    }

    /// <summary>Lines "doc, label, code, reference, positions" with positions "307 316;348 361".</summary>
    public static IEnumerable<CodiEspMention> ReadMentions(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var f = line.Split('\t');
            if (f.Length < 5) continue;
            var bounds = f[4].Split([' ', ';'], StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
            yield return new CodiEspMention(f[0], f[2].Trim().ToLowerInvariant(), f[1] == "PROCEDIMIENTO", f[3], bounds.Min(), bounds.Max());
        }
    }
}

/// <summary>Codes and spans predicted for one document, in CodiEsp form (codes lower case, CM dotted).</summary>
/// <param name="Basis">Each ranked code (diagnoses, then procedures) with its confidence and what it is made of, for error analysis; empty when not known.</param>
public sealed record CodiEspPrediction(string Document, List<string> Diagnoses, List<string> Procedures, List<CodiEspMention> Mentions, List<(string Code, double Confidence, string Basis)>? Basis = null)
{
    /// <summary>
    /// CodiEsp writes ICD-10-CM codes without the 7th (episode) character: S72.001A → s72.001,
    /// W19.XXXA → w19.xxx. A 7-character code loses its last character.
    /// </summary>
    /// <param name="diagnosisSystem">The system whose codes are the diagnoses: ICD-10-CM, or ICD-10-CM loaded as a plain FHIR CodeSystem under another URL.</param>
    public static string CodiEspCode(CodedConcept code, string diagnosisSystem = CodeSystems.Icd10Cm) => CodiEspCode(code.System, code.Code, diagnosisSystem);

    public static string CodiEspCode(string system, string code, string diagnosisSystem = CodeSystems.Icd10Cm)
    {
        var c = code.ToLowerInvariant();
        return system == diagnosisSystem && c.Replace(".", "").Length == 7 ? c[..^1] : c;
    }

    /// <param name="widen">
    /// Characters by which a reference may take in whole neighbouring words on each side (0: the evidence span as is).
    /// CodiEsp references cover the whole noun phrase ("hipertensión arterial", "doble anexectomía") and the X
    /// measure accepts a reference up to <see cref="CodiEspScorer.SpanSlack"/> characters longer at each end.
    /// </param>
    public static CodiEspPrediction From(string document, string text, CodingResult result, int widen = 0, string diagnosisSystem = CodeSystems.Icd10Cm)
    {
        var mentions = new List<CodiEspMention>();
        foreach (var code in result.Codes)
            foreach (var span in code.Spans)
            {
                var (start, end) = Widen(text, span.Start, span.Start + span.Length, widen);
                mentions.Add(new CodiEspMention(document, CodiEspCode(code, diagnosisSystem), code.System == CodeSystems.Icd10Pcs, text[start..end],
                    CodePointOffset(text, start), CodePointOffset(text, end)));
            }
        return new CodiEspPrediction(document,
            result.Codes.Where(c => c.System == diagnosisSystem).Select(c => CodiEspCode(c, diagnosisSystem)).Distinct().ToList(),
            result.Procedures.Select(c => c.Code.ToLowerInvariant()).ToList(),
            mentions,
            result.Codes.Where(c => c.System == diagnosisSystem).Concat(result.Procedures)
                .Select(c => (CodiEspCode(c, diagnosisSystem), c.Confidence, c.Basis?.ToString() ?? "")).ToList());
    }

    /// <summary>The span grown over whole words within <paramref name="limit"/> characters each way, never across punctuation or a line break.</summary>
    public static (int Start, int End) Widen(string text, int start, int end, int limit)
    {
        static bool InPhrase(char c) => char.IsLetterOrDigit(c) || c == ' ' || c == '-';
        var newEnd = end;
        for (var i = end; i < text.Length && i - end <= limit && InPhrase(text[i]); i++)
            if (char.IsLetterOrDigit(text[i]) && (i + 1 == text.Length || !char.IsLetterOrDigit(text[i + 1])) && i + 1 - end <= limit) newEnd = i + 1;
        var newStart = start;
        for (var i = start - 1; i >= 0 && start - i <= limit && InPhrase(text[i]); i--)
            if (char.IsLetterOrDigit(text[i]) && (i == 0 || !char.IsLetterOrDigit(text[i - 1]))) newStart = i;
        return (newStart, newEnd);
    }

    /// <summary>CodiEsp offsets count code points; .NET strings count UTF-16 units.</summary>
    public static int CodePointOffset(string text, int utf16Offset)
    {
        var surrogates = 0;
        for (var i = 0; i < utf16Offset && i < text.Length; i++)
            if (char.IsHighSurrogate(text[i])) surrogates++;
        return utf16Offset - surrogates;
    }

    /// <summary>The UTF-16 offset of a CodiEsp (code point) offset.</summary>
    public static int Utf16Offset(string text, int codePointOffset)
    {
        var i = 0;
        for (var seen = 0; seen < codePointOffset && i < text.Length; seen++)
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
        return i;
    }
}

public static class CodiEspWriter
{
    /// <summary>Writes D.tsv, P.tsv and X.tsv (ranked codes, best first), and basis.tsv: each code's confidence and what it is made of.</summary>
    public static void Write(string outDir, IEnumerable<CodiEspPrediction> predictions)
    {
        Directory.CreateDirectory(outDir);
        using var d = new StreamWriter(Path.Combine(outDir, "D.tsv"));
        using var p = new StreamWriter(Path.Combine(outDir, "P.tsv"));
        using var x = new StreamWriter(Path.Combine(outDir, "X.tsv"));
        using var basis = new StreamWriter(Path.Combine(outDir, "basis.tsv"));
        foreach (var prediction in predictions)
        {
            foreach (var code in prediction.Diagnoses) d.WriteLine($"{prediction.Document}\t{code}");
            foreach (var code in prediction.Procedures) p.WriteLine($"{prediction.Document}\t{code}");
            foreach (var m in prediction.Mentions)
                x.WriteLine($"{m.Document}\t{m.Start} {m.End}\t{(m.IsProcedure ? "PROCEDIMIENTO" : "DIAGNOSTICO")}\t{m.Code}");
            foreach (var (code, confidence, why) in prediction.Basis ?? [])
                basis.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{prediction.Document}\t{code}\t{confidence:0.####}\t{why}"));
        }
    }
}
