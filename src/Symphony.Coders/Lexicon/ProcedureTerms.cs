using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Lexicon;

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
            // An image of a paired organ that names no side shows both ("ecografía renal" → kidneys, bilateral).
            var sideNames = side is null ? [""]
                : side == "Bilateral" && prefix.Code[0] is 'B' or 'C' ? new[] { " " + vocabulary.Side(side), "" }
                : [" " + vocabulary.Side(side)];
            var parts = names is null ? [] : vocabulary.BodyPartNames(head).ToList();
            foreach (var sideName in sideNames)
            {
                foreach (var name in names ?? [])
                    if (CodeFor(prefix, name.Completion) is { } code)
                        foreach (var partName in parts)
                            yield return new LexiconTerm($"{name.Text} {partName}{sideName}", CodeSystems.Icd10Pcs, code, TermSource.ProcedureName, ComposedWeight);
                foreach (var name in fused ?? [])
                    if (CodeFor(prefix, name.Completion) is { } code)
                        yield return new LexiconTerm(name.Text + sideName, CodeSystems.Icd10Pcs, code, TermSource.ProcedureName, ComposedWeight);
            }
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

    /// <summary>
    /// The code a name gives on a prefix: its reported code, or — when the name fixes the approach, device
    /// and qualifier (<paramref name="completion"/>: "8ZZ" for "resección transuretral") — the prefix with
    /// those characters if the table allows it, else nothing.
    /// </summary>
    static string? CodeFor(Concept prefix, string? completion) =>
        completion is null ? ReportedCode(prefix)
        : prefix.Children.Contains(prefix.Code + completion, StringComparer.Ordinal) ? prefix.Code + completion : null;

    /// <summary>Content words on each side of a procedure's name where its approach may be written ("laparoscopic appendectomy", "appendectomy, open").</summary>
    const int ApproachWords = 3;

    /// <summary>
    /// A partial code (a 4-character prefix) completed from the approach the note states beside the procedure
    /// (Data/procedures-{lang}.tsv "approach" lines: laparoscopic → 4, open → 0, percutaneous → 3): the one code of the
    /// table with that approach, else the one with that approach and no device and no qualifier (ICD-10-PCS guideline
    /// B6.1a: a device is coded only when one remains after the procedure; the note names none). Null when the note
    /// states no approach in the clause or the table leaves more than one code.
    /// </summary>
    public static (string Code, string Word)? CompleteFromApproach(Concept prefix, TokenizedText tokens, TermMatch match, int sentenceStart, int sentenceEnd, Language language)
    {
        var approaches = ProcedureVocabulary.For(language).Approaches;
        if (approaches.Count == 0 || prefix.Children.Count == 0) return null;
        foreach (var i in Around(tokens, match, sentenceStart, sentenceEnd))
        {
            if (!approaches.TryGetValue(tokens.Tokens[i].Key, out var approach)) continue;
            var withApproach = prefix.Children.Where(c => c.Length == 7 && c[4] == approach).ToList();
            // A biopsy is coded with the qualifier Diagnostic (guideline B3.4a).
            var qualifier = StatedQualifier(tokens, match, language) ?? 'Z';
            var code = withApproach.Count == 1 ? withApproach[0] : withApproach.SingleOrDefault(c => c[5] == 'Z' && c[6] == qualifier);
            var t = tokens.Tokens[i];
            return code is null ? null : (code, tokens.Text.Substring(t.Start, t.End - t.Start));
        }
        return null;
    }

    /// <summary>The qualifier (7th character) a word of the procedure's name states: "biopsy" → X Diagnostic.</summary>
    static char? StatedQualifier(TokenizedText tokens, TermMatch match, Language language)
    {
        var qualifiers = ProcedureVocabulary.For(language).Qualifiers;
        for (var i = match.First; i <= match.Last; i++)
            if (qualifiers.TryGetValue(tokens.Tokens[i].Key, out var q)) return q;
        return null;
    }

    /// <summary>The tokens of the clause just before and after a match, nearest first.</summary>
    static IEnumerable<int> Around(TokenizedText tokens, TermMatch match, int sentenceStart, int sentenceEnd)
    {
        for (int i = match.First - 1, words = 0; i >= sentenceStart && words < ApproachWords; i--)
        {
            if (tokens.Text.AsSpan(tokens.Tokens[i].End, tokens.Tokens[i + 1].Start - tokens.Tokens[i].End).IndexOfAny(",;:.()") >= 0) break;
            yield return i;
            if (!tokens.Tokens[i].IsStopword) words++;
        }
        for (int i = match.Last + 1, words = 0; i < sentenceEnd && words < ApproachWords; i++)
        {
            if (tokens.Text.AsSpan(tokens.Tokens[i - 1].End, tokens.Tokens[i].Start - tokens.Tokens[i - 1].End).IndexOfAny(";:.()") >= 0) break;
            yield return i;
            if (!tokens.Tokens[i].IsStopword) words++;
        }
    }

    /// <summary>"Kidney, Right" → ("Kidney", "Right"); "Skin, Scalp" → ("Skin, Scalp", null).</summary>
    public static (string Head, string? Side) SplitSide(string bodyPart)
    {
        foreach (var side in Sides)
            if (bodyPart.EndsWith(", " + side, StringComparison.Ordinal))
                return (bodyPart[..^(side.Length + 2)], side);
        return (bodyPart, null);
    }

    static string Singular(string head) => head.EndsWith('s') && !head.EndsWith("ss", StringComparison.Ordinal) ? head[..^1] : head;

    /// <param name="Completion">Characters 5–7 the name fixes ("8ZZ": via natural opening, endoscopic), or null.</param>
    sealed record ProcedureName(string Text, string? Completion);

    /// <summary>Data/procedures-{lang}.tsv read into lookups.</summary>
    sealed class ProcedureVocabulary
    {
        static readonly ProcedureVocabulary English = new(Language.English);
        static readonly ProcedureVocabulary Spanish = new(Language.Spanish);
        public static ProcedureVocabulary For(Language language) => language == Language.Spanish ? Spanish : English;

        readonly Language _language;
        readonly Dictionary<string, string[]> _bodyParts = new(StringComparer.Ordinal);
        readonly Dictionary<string, string> _sides = new(StringComparer.Ordinal);
        public Dictionary<string, List<ProcedureName>> Operations { get; } = new(StringComparer.Ordinal);
        public Dictionary<(string Operation, string BodyPart), List<ProcedureName>> Fused { get; } = [];
        public List<(string Code, string Name)> Named { get; } = [];
        /// <summary>A word's key → the approach (5th character) it states.</summary>
        public Dictionary<string, char> Approaches { get; } = new(StringComparer.Ordinal);
        /// <summary>A word's key → the qualifier (7th character) it states.</summary>
        public Dictionary<string, char> Qualifiers { get; } = new(StringComparer.Ordinal);

        ProcedureVocabulary(Language language)
        {
            _language = language;
            foreach (var line in LanguageData.ReadLines($"procedures-{language.ToCode()}.tsv"))
            {
                var f = line.Split('\t');
                static string[] Names(string field) => field.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                switch (f[0])
                {
                    case "operation": Add(Operations, f[1], Names(f[2]), f.ElementAtOrDefault(3)); break;
                    case "bodypart": _bodyParts[f[1]] = Names(f[2]); break;
                    case "side": _sides[f[1]] = f[2]; break;
                    case "fused": Add(Fused, (f[1], f[2]), Names(f[3]), f.ElementAtOrDefault(4)); break;
                    case "named": Named.AddRange(Names(f[2]).Select(n => (f[1], n))); break;
                    case "approach":
                        foreach (var word in Names(f[2])) Approaches[TextNormalizer.Normalize(word, language)] = f[1][0];
                        break;
                    case "qualifier":
                        foreach (var word in Names(f[2])) Qualifiers[TextNormalizer.Normalize(word, language)] = f[1][0];
                        break;
                    default: throw new InvalidDataException($"procedures-{language.ToCode()}.tsv: unknown kind '{f[0]}' in '{line}'");
                }
            }
        }

        static void Add<TKey>(Dictionary<TKey, List<ProcedureName>> names, TKey key, string[] texts, string? completion) where TKey : notnull
        {
            if (!names.TryGetValue(key, out var list)) names[key] = list = [];
            list.AddRange(texts.Select(t => new ProcedureName(t, string.IsNullOrWhiteSpace(completion) ? null : completion.Trim())));
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
