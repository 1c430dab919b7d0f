using Symphony.Coding.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coding.Lexicon;

/// <summary>
/// Procedures named as notes name them, composed from the ICD-10-PCS tables the way a coder builds a
/// PCS code: the table's operation or imaging type ("Ultrasonography": ecografía, TC, RMN, biopsia …)
/// with the 4th-character body part ("Kidney, Right": riñón derecho, renal derecha), one word that names
/// an operation on a body part (nefrectomía = Resection + Kidney, side from the table), and procedures a
/// note names in one phrase whose code is fixed (colonoscopia → 0DJD8ZZ). The names come from
/// Data/procedures-{lang}.tsv; the codes, sides and body parts from the loaded tables.
/// </summary>
internal static class ProcedureTerms
{
    /// <summary>An operation and body part named in the note's words: as sure as a tabular title.</summary>
    const double ComposedWeight = 0.5;
    /// <summary>A procedure named in one phrase with its code fixed ("colonoscopia").</summary>
    const double NamedWeight = 0.6;

    static readonly string[] Sides = ["Right", "Left", "Bilateral"];

    public static IEnumerable<LexiconTerm> Compose(CodeSystemVersion pcs, Language language)
    {
        var vocabulary = ProcedureVocabulary.For(language);
        foreach (var prefix in pcs.Concepts.Values)
        {
            if (prefix.Code.Length != 4 || prefix.Properties.Count == 0) continue;
            var part = prefix.Properties.Values.First();
            if (!prefix.Display.EndsWith(", " + part, StringComparison.Ordinal)) continue;
            var operation = prefix.Display[..^(part.Length + 2)];
            var names = vocabulary.Operations.GetValueOrDefault(operation);
            var (head, side) = SplitSide(part);
            var fused = vocabulary.Fused.GetValueOrDefault((operation, head)) ?? vocabulary.Fused.GetValueOrDefault((operation, Singular(head)));
            if (names is null && fused is null) continue;
            var code = ReportedCode(prefix);
            var sideName = side is null ? "" : " " + vocabulary.Side(side);
            if (names is not null)
                foreach (var partName in vocabulary.BodyPartNames(head))
                    foreach (var name in names)
                        yield return new LexiconTerm($"{name} {partName}{sideName}", CodeSystems.Icd10Pcs, code, TermSource.ProcedureName, ComposedWeight);
            if (fused is not null)
                foreach (var name in fused)
                    yield return new LexiconTerm(name + sideName, CodeSystems.Icd10Pcs, code, TermSource.ProcedureName, ComposedWeight);
        }
        foreach (var (code, name) in vocabulary.Named)
            if (pcs.Find(code) is not null)
                yield return new LexiconTerm(name, CodeSystems.Icd10Pcs, code, TermSource.ProcedureName, NamedWeight);
    }

    /// <summary>
    /// A prefix whose table rows allow one code only is that code (BT41 → BT41ZZZ: the text needs to say
    /// nothing more); otherwise the 4-character prefix, which names operation and body part without
    /// guessing approach, device or qualifier.
    /// </summary>
    public static string ReportedCode(Concept prefix) => prefix.Children.Count == 1 ? prefix.Children[0] : prefix.Code;

    /// <summary>"Kidney, Right" → ("Kidney", "Right"); "Skin, Scalp" → ("Skin, Scalp", null).</summary>
    public static (string Head, string? Side) SplitSide(string bodyPart)
    {
        foreach (var side in Sides)
            if (bodyPart.EndsWith(", " + side, StringComparison.Ordinal))
                return (bodyPart[..^(side.Length + 2)], side);
        return (bodyPart, null);
    }

    static string Singular(string head) => head.EndsWith('s') && !head.EndsWith("ss", StringComparison.Ordinal) ? head[..^1] : head;

    /// <summary>Data/procedures-{lang}.tsv read into lookups.</summary>
    sealed class ProcedureVocabulary
    {
        static readonly ProcedureVocabulary English = new(Language.English);
        static readonly ProcedureVocabulary Spanish = new(Language.Spanish);
        public static ProcedureVocabulary For(Language language) => language == Language.Spanish ? Spanish : English;

        readonly Language _language;
        readonly Dictionary<string, string[]> _bodyParts = new(StringComparer.Ordinal);
        readonly Dictionary<string, string> _sides = new(StringComparer.Ordinal);
        public Dictionary<string, string[]> Operations { get; } = new(StringComparer.Ordinal);
        public Dictionary<(string Operation, string BodyPart), string[]> Fused { get; } = [];
        public List<(string Code, string Name)> Named { get; } = [];

        ProcedureVocabulary(Language language)
        {
            _language = language;
            foreach (var line in LanguageData.ReadLines($"procedures-{language.ToCode()}.tsv"))
            {
                var f = line.Split('\t');
                static string[] Names(string field) => field.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                switch (f[0])
                {
                    case "operation": Operations[f[1]] = Names(f[2]); break;
                    case "bodypart": _bodyParts[f[1]] = Names(f[2]); break;
                    case "side": _sides[f[1]] = f[2]; break;
                    case "fused": Fused[(f[1], f[2])] = Names(f[3]); break;
                    case "named": Named.AddRange(Names(f[2]).Select(n => (f[1], n))); break;
                    default: throw new InvalidDataException($"procedures-{language.ToCode()}.tsv: unknown kind '{f[0]}' in '{line}'");
                }
            }
        }

        public string Side(string side) => _sides.GetValueOrDefault(side) ?? side.ToLowerInvariant();

        /// <summary>The file's names for a body part, plus the table's own label (in Spanish, carried over word by word).</summary>
        public IEnumerable<string> BodyPartNames(string head)
        {
            var names = _bodyParts.GetValueOrDefault(head) ?? _bodyParts.GetValueOrDefault(Singular(head)) ?? [];
            var label = _language == Language.Spanish ? SpanishTerms.Translate(head) : head;
            return label is null ? names : names.Append(label).Distinct(StringComparer.Ordinal);
        }
    }
}
