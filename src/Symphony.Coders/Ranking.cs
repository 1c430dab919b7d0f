using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;
using Symphony.Coders.Context;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders;

/// <summary>
/// What a code's confidence is made of, so a reviewer sees why it ranks where it does.
/// </summary>
/// <param name="Match">The kind of match of its strongest mention: title, inclusion term, synonym, index entry, site phrase, procedure name, tabular note term, category title; "combination" when the code combines two the note supports.</param>
/// <param name="MatchWeight">That term's prior weight (how reliably such a match means the code; for a combination, its strongest part's).</param>
/// <param name="Mentions">Distinct places in the note that support the code.</param>
/// <param name="Section">The section of the strongest mention (final, secondary, admission, assessment, reason, course, history, family, social, exam, results, medications, procedure, plan), or "none" when the note has no headers there.</param>
/// <param name="Certainty">What the sentence of the strongest mention says: affirmed, uncertain, history, family, hypothetical, negated.</param>
/// <param name="Weakened">What weakened the strongest mention: "words apart" (its words lie apart rather than as one phrase), "default child" (the note names only the category), "unspecified title".</param>
/// <param name="Principal">Why the code leads the list (the principal or first-listed diagnosis), or null.</param>
public sealed record ConfidenceBasis(string Match, double MatchWeight, int Mentions, string Section, string Certainty, IReadOnlyList<string> Weakened, string? Principal)
{
    /// <summary>"principal diagnosis (Section II): 'admitted for'; title match (0.60), words apart, 2 mentions, section final, affirmed".</summary>
    public override string ToString() =>
        (Principal is null ? "" : Principal + "; ")
        + string.Create(CultureInfo.InvariantCulture, $"{Match} match ({MatchWeight:0.00}){string.Concat(Weakened.Select(w => ", " + w))}, {Mentions} mention{(Mentions == 1 ? "" : "s")}, section {Section}, {Certainty}");
}

/// <summary>One mention behind a code: where it starts, the term that matched, and what its sentence says about it.</summary>
/// <param name="DefaultChild">The term named a category and the code is its default child (<see cref="Rules.SpecificityRule.DefaultChild"/>).</param>
internal readonly record struct MentionEvidence(int Start, int End, TermSource Source, double Weight, MentionStatus Status, bool Scattered, bool DefaultChild)
{
    public static MentionEvidence Of(TokenizedText tokens, TermMatch match, LexiconTerm term, MentionStatus status, IEnumerable<string> rules) =>
        new(tokens.Tokens[match.First].Start, tokens.Tokens[match.Last].End, term.Source, term.Weight, status, IsScattered(tokens, match),
            rules.Any(r => r.StartsWith(Rules.SpecificityRule.DefaultChild, StringComparison.Ordinal)));

    /// <summary>A content word of the clause that is not the term's lies between the term's words.</summary>
    static bool IsScattered(TokenizedText tokens, TermMatch match)
    {
        for (var i = match.First + 1; i < match.Last; i++)
            if (!tokens.Tokens[i].IsStopword && Array.BinarySearch(match.Positions, i) < 0) return true;
        return false;
    }
}

/// <summary>
/// Orders a note's codes the way a coder lists them: the principal diagnosis first (Section II of the ICD-10-CM
/// Official Guidelines for inpatients, the first-listed diagnosis of Section IV for outpatients: the condition the
/// note names as the reason for the admission or visit), then by evidence strength. The confidence is that strength,
/// composed from the parts in Data/ranking.tsv and reported with each code (<see cref="ConfidenceBasis"/>).
/// </summary>
internal static class Ranking
{
    static readonly FrozenDictionary<(string Part, string Value), double> Factors = LanguageData.ReadLines("ranking.tsv")
        .Select(l => l.Split('\t'))
        .ToFrozenDictionary(f => (f[0], f[1]), f => double.Parse(f[2], CultureInfo.InvariantCulture));

    /// <summary>Code prefixes never taken as principal from the wording, and symptom prefixes taken only when nothing else is named there.</summary>
    static readonly (string Prefix, bool SymptomOnly)[] Exclusions = LanguageData.ReadLines("principal-exclusions.tsv")
        .Select(l => l.Split('\t'))
        .Select(f => (f[0], f[1] == "symptom"))
        .OrderByDescending(e => e.Item1.Length)
        .ToArray();

    /// <summary>Section kinds whose first-listed diagnosis is a principal candidate, strongest first.</summary>
    static readonly string[] PrincipalKinds = ["final", "admission", "assessment", "reason"];

    /// <param name="codes">The codes in any order; <paramref name="evidence"/> holds each one's mentions, by index.</param>
    public static List<CodedConcept> Rank(IReadOnlyList<CodedConcept> codes, IReadOnlyList<IReadOnlyList<MentionEvidence>> evidence, TokenizedText tokens,
        NoteSections.Map sections, CodingOptions options)
    {
        var scored = new List<CodedConcept>(codes.Count);
        for (var i = 0; i < codes.Count; i++) scored.Add(Score(codes[i], evidence[i], sections, options));
        var principal = Principal(scored, evidence, tokens, sections, options);
        return scored
            .Select((c, i) => i == principal?.Index ? c with { Basis = c.Basis! with { Principal = principal.Value.Why } } : c)
            .OrderByDescending(c => c.Basis?.Principal is not null)
            .ThenByDescending(c => c.Confidence).ThenByDescending(c => c.Basis?.Mentions ?? 0).ThenBy(c => c.Spans.Count == 0 ? int.MaxValue : c.Spans[0].Start).ThenBy(c => c.Code, StringComparer.Ordinal)
            .ToList();
    }

    static CodedConcept Score(CodedConcept code, IReadOnlyList<MentionEvidence> mentions, NoteSections.Map sections, CodingOptions options)
    {
        if (mentions.Count == 0) return code with { Basis = new ConfidenceBasis("rule", code.Confidence, code.Spans.Count, "none", Certainty(code.Status), [], null) };
        var unspecified = code.Display.Contains("unspecified", StringComparison.OrdinalIgnoreCase);
        var strongest = mentions.Select(m => (Value: Value(m, sections.KindAt(m.Start), unspecified, options), Mention: m)).MaxBy(b => b.Value);
        var top = strongest.Mention;
        var places = mentions.Select(m => m.Start).Distinct().Count();
        var basis = new ConfidenceBasis(RuleWording.IsCombination(code) ? "combination" : MatchKind(top), Math.Round(top.Weight, 3), places, sections.KindAt(top.Start), Certainty(top.Status), Weakened(top, unspecified), null);
        return code with { Confidence = Math.Round(strongest.Value, 4), Basis = basis };
    }

    static double Value(MentionEvidence m, string section, bool unspecified, CodingOptions options)
    {
        var value = m.Weight * Factor("section", section);
        // Where every mention is coded as written (CodiEsp), what the sentence says of a mention does not make its code less right.
        if (!options.CodeEveryMention) value *= Factor("certainty", Certainty(m.Status));
        // A site phrase's weight is already measured on the site's own coding of those words; the shape factors are
        // priors for the code system's generic terms.
        if (m.Source != TermSource.SiteLexicon)
        {
            if (m.Scattered) value *= Factor("shape", "scattered");
            if (m.DefaultChild) value *= Factor("shape", "default-child");
            if (unspecified) value *= Factor("shape", "unspecified");
        }
        return Math.Clamp(value, 0, 0.99);
    }

    static List<string> Weakened(MentionEvidence m, bool unspecified)
    {
        var weakened = new List<string>(3);
        if (m.Source == TermSource.SiteLexicon) return weakened;
        if (m.Scattered) weakened.Add("words apart");
        if (m.DefaultChild) weakened.Add("default child");
        if (unspecified) weakened.Add("unspecified title");
        return weakened;
    }

    static double Factor(string part, string value) => Factors.GetValueOrDefault((part, value), 1.0);

    static string Certainty(MentionStatus status) => status.ToString().ToLowerInvariant();

    static string MatchKind(MentionEvidence m) => m.Source switch
    {
        TermSource.SiteLexicon => "site phrase",
        TermSource.Synonym => "synonym",
        TermSource.ProcedureName => "procedure name",
        TermSource.Description => "title",
        TermSource.InclusionTerm => "inclusion term",
        TermSource.IndexTerm => "index entry",
        TermSource.NoteTerm => "tabular note term",
        TermSource.CategoryHead => "category title",
        _ => m.Source.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// The diagnosis the note gives as the reason for the stay: the first one listed under the strongest header
    /// (discharge / final diagnosis, then reason for admission, then impression, then chief complaint), else the first
    /// one after a phrase such as "admitted for" in its sentence. History, family-history and status codes never lead;
    /// a symptom leads only when no other diagnosis is named there (Section II.A).
    /// </summary>
    static (int Index, string Why)? Principal(List<CodedConcept> codes, IReadOnlyList<IReadOnlyList<MentionEvidence>> evidence, TokenizedText tokens, NoteSections.Map sections, CodingOptions options)
    {
        // Where each ICD-10-CM diagnosis is stated as present (or, for inpatients, as probable).
        var stated = new List<(int Start, int End, int Index, bool Symptom)>();
        for (var i = 0; i < codes.Count; i++)
        {
            if (codes[i].System != CodeSystems.Icd10Cm || Excluded(codes[i].Code) is { SymptomOnly: false }) continue;
            var symptom = Excluded(codes[i].Code) is { SymptomOnly: true };
            foreach (var m in evidence[i])
                if (m.Status == MentionStatus.Affirmed || (m.Status == MentionStatus.Uncertain && options.Setting == CareSetting.Inpatient))
                    stated.Add((m.Start, m.End, i, symptom));
        }
        if (stated.Count == 0) return null;
        stated.Sort((a, b) => a.Start.CompareTo(b.Start));

        var label = options.Setting == CareSetting.Inpatient ? "principal diagnosis (Section II)" : "first-listed diagnosis (Section IV)";
        var scopes = new List<(int Rank, int Start, int End, string Why)>();
        foreach (var s in sections.Headers)
        {
            var rank = Array.IndexOf(PrincipalKinds, s.Kind);
            if (rank >= 0) scopes.Add((rank * 2, s.End, s.ScopeEnd, $"{label}: first listed under '{s.Text}'"));
        }
        foreach (var cue in NoteSections.For(options.Language).Cues(tokens.Text))
        {
            var rank = Array.IndexOf(PrincipalKinds, cue.Kind);
            var sentence = tokens.Sentences.FirstOrDefault(x => x.Start <= cue.Start && cue.Start < x.End);
            var end = sentence.Length > 0 ? sentence.End : Math.Min(tokens.Text.Length, cue.End + 200);
            // A phrase in the note's narrative ranks just below a header of the same kind.
            if (rank >= 0) scopes.Add((rank * 2 + 1, cue.End, end, $"{label}: '{cue.Phrase}'"));
        }
        foreach (var scope in scopes.OrderBy(s => s.Rank).ThenBy(s => s.Start))
        {
            var inScope = stated.Where(s => s.Start >= scope.Start && s.Start < scope.End).ToList();
            if (inScope.Count == 0) continue;
            var pool = inScope.Any(s => !s.Symptom) ? inScope.Where(s => !s.Symptom).ToList() : inScope;
            // Codes read from the same words ("acute non-ST elevation myocardial infarction": I21.9 and I21.4) are one
            // statement: the best-supported reading of the first one leads.
            var first = pool[0];
            var lead = pool.Where(s => s.Start < first.End).MaxBy(s => codes[s.Index].Confidence);
            return (lead.Index, scope.Why);
        }
        return null;
    }

    static (string Prefix, bool SymptomOnly)? Excluded(string code)
    {
        foreach (var e in Exclusions)
            if (code.StartsWith(e.Prefix, StringComparison.Ordinal)) return e;
        return null;
    }
}

/// <summary>A note's section headers (Data/sections-{lang}.tsv, or any upper-case "HEADER:") and the phrases that name the reason for the stay (Data/principal-{lang}.tsv).</summary>
internal sealed class NoteSections
{
    static readonly NoteSections English = new(Language.English);
    static readonly NoteSections Spanish = new(Language.Spanish);

    public static NoteSections For(Language language) => language == Language.Spanish ? Spanish : English;

    readonly Regex _cues;
    readonly Dictionary<string, string> _kinds;
    readonly Dictionary<string, string> _cueKinds;

    NoteSections(Language language)
    {
        _kinds = Table($"sections-{language.ToCode()}.tsv");
        _cueKinds = Table($"principal-{language.ToCode()}.tsv");
        _cues = new Regex($@"\b(?<c>{Alternation(_cueKinds.Keys)})\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }

    static Dictionary<string, string> Table(string file) => LanguageData.ReadLines(file)
        .Select(l => l.Split('\t'))
        .GroupBy(f => Normalize(f[0]))
        .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);

    static string Normalize(string phrase) => string.Join(' ', phrase.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The table's kind for a header, read in the singular as well ("discharge diagnoses", "indications").</summary>
    static string? KindOf(Dictionary<string, string> table, string header)
    {
        var key = Normalize(header);
        if (table.TryGetValue(key, out var kind)) return kind;
        if (key.EndsWith("es", StringComparison.Ordinal) && table.TryGetValue(key[..^2] + "is", out kind)) return kind;
        return key.EndsWith('s') && table.TryGetValue(key[..^1], out kind) ? kind : null;
    }

    /// <summary>Longest phrases first; spaces match any run of spaces.</summary>
    static string Alternation(IEnumerable<string> phrases) =>
        string.Join('|', phrases.OrderByDescending(p => p.Length)
            .Select(p => Regex.Escape(p).Replace(@"\ ", @"\s+"))
            .Select(p => p.EndsWith("is", StringComparison.Ordinal) ? p[..^2] + "(?:is|es)" : p));

    /// <summary>A header: where it is, where its section ends (the next header), its words, its kind, and whether the table names it (else: capitals).</summary>
    public sealed record Header(int Start, int End, int ScopeEnd, string Text, string Kind, bool Named);

    public sealed class Map(List<Header> headers)
    {
        public IReadOnlyList<Header> Headers => headers;

        /// <summary>The header the table names ("ALLERGIES:", "HISTORY OF PRESENT ILLNESS:") whose words hold the range, if any.</summary>
        public Header? NamedHeaderOver(int start, int end)
        {
            foreach (var h in headers)
            {
                if (h.Start > start) break;
                if (h.Named && end <= h.End) return h;
            }
            return null;
        }

        /// <summary>The header of the section the offset lies in; null before the first header.</summary>
        public Header? HeaderAt(int offset)
        {
            Header? found = null;
            foreach (var h in headers)
            {
                if (h.Start > offset) break;
                found = h;
            }
            return found;
        }

        /// <summary>The kind of the section the offset lies in; "none" before the first header.</summary>
        public string KindAt(int offset)
        {
            string kind = "none";
            foreach (var h in headers)
            {
                if (h.Start > offset) break;
                kind = h.Kind;
            }
            return kind;
        }
    }

    /// <summary>Longest header the scan reads ("indications for procedure" and longer table entries fit).</summary>
    const int MaxHeaderLength = 60;

    /// <summary>
    /// Headers: text at the start of a line or after punctuation (". ", ", ", ";") up to a colon or the end of the
    /// line, that the table names (singular or plural) or that is written in capitals ("MRI OF THE BRAIN:", read as
    /// narrative). One pass over the note, no backtracking.
    /// </summary>
    public Map Read(string text)
    {
        var found = new List<(int Start, int End, string Header, string Kind, bool Named)>();
        for (var i = 0; i < text.Length; i++)
        {
            if (i > 0 && !IsSegmentBreak(text[i - 1])) continue;
            var j = i;
            while (j < text.Length && text[j] is ' ' or '\t') j++;
            var k = j;
            while (k < text.Length && k - j <= MaxHeaderLength && !IsSegmentBreak(text[k]) && text[k] != ':') k++;
            var colon = k < text.Length && text[k] == ':';
            if (!colon && k < text.Length && text[k] is not ('\r' or '\n')) continue;
            var header = text[j..k].TrimEnd();
            if (header.Length < 3) continue;
            var named = KindOf(_kinds, header);
            var kind = named ?? (IsCapitals(header) ? "course" : null);
            if (kind is null) continue;
            found.Add((j, colon ? k + 1 : k, header, kind, named is not null));
            i = k - 1;
        }
        var headers = new List<Header>(found.Count);
        for (var i = 0; i < found.Count; i++)
            headers.Add(new Header(found[i].Start, found[i].End, i + 1 < found.Count ? found[i + 1].Start : text.Length, found[i].Header, found[i].Kind, found[i].Named));
        return new Map(headers);
    }

    static bool IsSegmentBreak(char c) => c is '\r' or '\n' or '.' or ',' or ';';

    /// <summary>"REVIEW OF SYSTEMS", "HEENT": capitals (and / &amp; - spaces), four characters or more, starting and ending with a letter.</summary>
    static bool IsCapitals(string header)
    {
        if (header.Length < 4 || !char.IsAsciiLetterUpper(header[0]) || !char.IsAsciiLetterUpper(header[^1])) return false;
        foreach (var c in header)
            if (!char.IsAsciiLetterUpper(c) && c is not (' ' or '/' or '&' or '-')) return false;
        return true;
    }

    public IEnumerable<(int Start, int End, string Phrase, string Kind)> Cues(string text)
    {
        foreach (Match m in _cues.Matches(text))
            yield return (m.Index, m.Index + m.Length, m.Value, KindOf(_cueKinds, m.Value) ?? "reason");
    }
}
