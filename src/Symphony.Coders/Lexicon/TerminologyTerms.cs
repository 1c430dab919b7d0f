using System.Text.RegularExpressions;
using Symphony.Coders.Rules;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Lexicon;

/// <summary>Which kinds of code-system terms to extract (each can be switched off to measure what it adds).</summary>
[Flags]
public enum TermSources
{
    None = 0,
    Descriptions = 1,
    InclusionTerms = 2,
    NoteTerms = 4,
    IndexTables = 8,
    CategoryHeads = 16,
    ExternalCauseIndex = 32,
    Procedures = 64,
    /// <summary>Leave out the per-language synonym files (Data/synonyms-*.tsv).</summary>
    NoSynonyms = 128,
    /// <summary>For Spanish notes, the English code-system terms carried over word by word (<see cref="SpanishTerms"/>).</summary>
    SpanishTranslations = 256,
    Default = Descriptions | InclusionTerms | NoteTerms | IndexTables | Procedures | SpanishTranslations,
}

/// <summary>
/// The English terms a coder looks codes up by, derived from the loaded code systems: tabular
/// descriptions (nonessential modifiers in parentheses optional), inclusion terms, the
/// "term (code)" pairs inside tabular notes, the neoplasm and drug tables, and category heads
/// ("hypertension" → the first category titled by that word). A term naming a non-billable
/// code leads to its unspecified default child (<see cref="SpecificityRule"/>).
/// </summary>
public static partial class TerminologyTerms
{
    [GeneratedRegex(@"\s*\([^()]*\)")] internal static partial Regex Parenthetical();
    // Not when a "with …" follows: "Migraine without aura, not intractable, with status migrainosus" is no plain migraine.
    [GeneratedRegex(@",?\s+(without|except|excluding|not elsewhere classified)\b(?!.*\bwith\b).*$", RegexOptions.IgnoreCase)] private static partial Regex TrailingQualifier();
    [GeneratedRegex(@"\s*\[[^\]]*\]")] private static partial Regex Bracketed();
    // ", unspecified" alone, or naming what the mention leaves open — organism, site, side, type, "as acute or chronic…",
    // or followed by the default's absences (", not intractable, without status migrainosus"):
    // "Staphylococcal arthritis, unspecified hand", "Fistula, unspecified joint" and "Ulcerative colitis, unspecified
    // with rectal bleeding" keep their qualifier (shortened, they would read as the generic condition).
    [GeneratedRegex(@",\s*unspecified(\s+(site|organism|type|cause|severity|stage|degree|eye|ear|side)|\s+as\b.*|,\s*(not intractable|uncomplicated|without\b)(?!.*\bwith\b).*)?\s*$", RegexOptions.IgnoreCase)] private static partial Regex TrailingUnspecified();
    [GeneratedRegex(@"^\s*([A-Za-z-]+) and ([A-Za-z-]+)\s*$")] private static partial Regex TwoConditions();
    // The Alphabetic Index lists "acquired" as a nonessential modifier of a condition that can also be congenital, and
    // gives the congenital form its own subterm and title ("Cyst, kidney (acquired) N28.1; congenital Q61.00"): a note
    // that does not say congenital names the acquired code.
    [GeneratedRegex(@",\s*acquired\s*$", RegexOptions.IgnoreCase)] private static partial Regex TrailingAcquired();

    /// <summary>A tabular title without its parenthesised modifiers and trailing "except …"/"without …"/"NEC" qualifier.</summary>
    internal static string CoreTitle(string display) => TrailingQualifier().Replace(Parenthetical().Replace(display, ""), "");

    [GeneratedRegex(@"(itis|osis|emia|aemia|oma|pathy|algia|iasis|ia|ism|ectomy|otomy|ostomy|plasty|scopy|uria|rrhea|rrhoea|rrhage|megaly|penia|ension|cele)$", RegexOptions.IgnoreCase)]
    private static partial Regex DiseaseWord();

    public static IEnumerable<LexiconTerm> Extract(CodeSystemVersion? icd10Cm, CodeSystemVersion? icd10Pcs, TermSources sources = TermSources.Default)
    {
        if (icd10Cm is not null)
            foreach (var term in ExtractCm(icd10Cm, sources).Where(IsSpecificEnough)) yield return term;
        if (icd10Pcs is not null && sources.HasFlag(TermSources.Procedures))
            foreach (var term in ExtractPcs(icd10Pcs)) yield return term;
    }

    /// <summary>
    /// A term left with one word once function words are dropped ("Type A blood" → "blood",
    /// "lower (C03.1)" → "lower") only names a code when that word is itself a diagnosis or
    /// procedure (hepatitis, nephrolithiasis, hypertension, appendectomy).
    /// </summary>
    static bool IsSpecificEnough(LexiconTerm term) => IsSpecificEnough(term, icdStatusChapters: true);

    /// <param name="icdStatusChapters">Also leave out one-word titles of the ICD-10-CM external-cause and status chapters (V–Z).</param>
    internal static bool IsSpecificEnough(LexiconTerm term, bool icdStatusChapters)
    {
        var keys = TermMatcher.ContentKeys(term.Text, Language.English);
        if (keys.Length != 1) return true;
        var words = term.Text.Split([' ', ',', '-', '(', ')', '/'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => !w.Equals("unspecified", StringComparison.OrdinalIgnoreCase) && !w.Equals("NOS", StringComparison.Ordinal)).ToList();
        if (DiseaseWord().IsMatch(words.LastOrDefault() ?? "")) return true;
        // A title that is one word ("Colic", "Constipation, unspecified") names its code; a title
        // reduced to one word by dropping others ("Type A blood", "Malignancy unspecified site"), a
        // one-word fragment of a note, or an external-cause/status title ("Activity, unspecified") does not.
        return words.Count == 1 && term.Source is TermSource.Description or TermSource.InclusionTerm && words[0].Length >= 5 && !(icdStatusChapters && term.Code[0] is 'V' or 'W' or 'X' or 'Y' or 'Z');
    }

    /// <summary>The phrasings of one title: as printed, without parenthesised modifiers, without a trailing "without …"/"except …" clause.</summary>
    /// <param name="splitTwoConditions">Read a title naming two one-word conditions as each of them; not for inclusion terms, where
    /// "X and Y" is an idiom ("Pins and needles" under R20.2 is no "needles").</param>
    public static IEnumerable<string> Variants(string title, bool splitTwoConditions = true)
    {
        var clean = Bracketed().Replace(title, "");
        var withoutModifiers = Parenthetical().Replace(clean, "");
        yield return withoutModifiers;
        var withModifiers = clean.Replace("(", " ").Replace(")", " ");
        if (withModifiers != withoutModifiers) yield return withModifiers;
        var shortened = TrailingAcquired().Replace(TrailingUnspecified().Replace(TrailingQualifier().Replace(withoutModifiers, ""), ""), "");
        if (shortened != withoutModifiers && shortened.Length > 2) yield return shortened;
        // A title naming two conditions in one word each ("Hypo-osmolality and hyponatremia") names each of them.
        if (splitTwoConditions && TwoConditions().Match(shortened) is { Success: true } pair)
        {
            yield return pair.Groups[1].Value;
            yield return pair.Groups[2].Value;
        }
    }

    static IEnumerable<LexiconTerm> ExtractCm(CodeSystemVersion cs, TermSources sources)
    {
        var system = CodeSystems.Icd10Cm;
        var leafCache = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Target(string code)
        {
            if (leafCache.TryGetValue(code, out var cached)) return cached;
            var concept = cs.Find(code);
            if (concept is null) return null;
            return leafCache[code] = SpecificityRule.Descend(cs, concept).Concept.Code;
        }
        var concepts = cs.Concepts.Values.Where(c => c.Kind is not ("chapter" or "section")).OrderBy(c => c.Code, StringComparer.Ordinal).ToList();
        if (sources.HasFlag(TermSources.Descriptions))
            foreach (var c in concepts)
            {
                // 7th-character expansions repeat their parent's title plus an episode; the parent's terms cover them.
                if (c.Code.Replace(".", "").Length == 7 && c.ParentCode is not null) continue;
                // "Other ..." titles name residual classes ("Other specified disorders of kidney"), not what a note says.
                if (c.Display.StartsWith("Other ", StringComparison.OrdinalIgnoreCase)) continue;
                var target = Target(c.Code)!;
                // Of two titles that read the same once shortened ("Migraine, unspecified, …" and "Migraine without aura, …"),
                // the unspecified one is what the bare words mean: it weighs a little more, so it wins the tie.
                var weight = (c.IsBillable ? 0.6 : 0.5) + (c.Display.Contains("unspecified", StringComparison.OrdinalIgnoreCase) ? 0.01 : 0);
                foreach (var v in Variants(c.Display)) yield return new LexiconTerm(v, system, target, TermSource.Description, weight);
                foreach (var d in c.Designations)
                    foreach (var v in Variants(d)) yield return new LexiconTerm(v, system, target, TermSource.Description, 0.5);
            }
        if (sources.HasFlag(TermSources.InclusionTerms))
            foreach (var c in concepts)
                foreach (var note in c.Notes)
                    if (note.Kind is NoteKind.InclusionTerm or NoteKind.Includes && !note.Text.EndsWith(':'))
                        foreach (var v in Variants(note.Text, splitTwoConditions: false)) yield return new LexiconTerm(v, system, Target(c.Code)!, TermSource.InclusionTerm, 0.5);
        if (sources.HasFlag(TermSources.IndexTables))
            foreach (var entry in cs.IndexEntries)
                foreach (var term in IndexTerms(entry, sources))
                    if (Target(term.Code) is { } target) yield return term with { Code = target };
        if (sources.HasFlag(TermSources.NoteTerms))
            foreach (var c in concepts)
                foreach (var note in c.Notes)
                    if (note.Kind is not (NoteKind.InclusionTerm or NoteKind.Includes) && NoteCodes.TermAndCode(note.Text) is { } pair && Target(pair.Code) is { } target)
                        foreach (var v in Variants(pair.Term)) yield return new LexiconTerm(v, system, target, TermSource.NoteTerm, 0.4);
        if (sources.HasFlag(TermSources.CategoryHeads))
            foreach (var (head, code) in CategoryHeads(concepts))
                yield return new LexiconTerm(head, system, Target(code)!, TermSource.CategoryHead, 0.35);
    }

    /// <summary>
    /// The head word of category titles: for a word that ends the title of 3-character categories
    /// ("Essential (primary) hypertension", "Secondary hypertension"), the first such category in
    /// code order with the shortest title, so a bare "hypertension" reaches I10.
    /// </summary>
    static IEnumerable<(string Head, string Code)> CategoryHeads(List<Concept> concepts)
    {
        var best = new Dictionary<string, (string Code, int Words)>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in concepts)
        {
            if (c.Code.Length != 3) continue;
            var title = CoreTitle(c.Display);
            var words = title.Split([' ', ',', '-'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || words.Length > 3) continue;
            var head = words[^1];
            if (head.Length < 5 || head.Equals("unspecified", StringComparison.OrdinalIgnoreCase) || head.Equals("disorders", StringComparison.OrdinalIgnoreCase) || head.Equals("diseases", StringComparison.OrdinalIgnoreCase)) continue;
            if (!best.TryGetValue(head, out var current) || words.Length < current.Words) best[head] = (c.Code, words.Length);
        }
        return best.Select(kv => (kv.Key, kv.Value.Code));
    }

    static IEnumerable<LexiconTerm> IndexTerms(IndexEntry entry, TermSources sources)
    {
        if (string.IsNullOrEmpty(entry.Code)) yield break;
        var code = entry.Code.TrimEnd('-', '.');
        if (code.Length < 3) yield break;
        var path = string.Join(" ", entry.Path);
        var system = CodeSystems.Icd10Cm;
        switch (entry.Index)
        {
            case "neoplasm":
                foreach (var site in NeoplasmSites(entry.Path.Skip(entry.Path.Count > 1 && entry.Path[0].StartsWith("Neoplasm", StringComparison.OrdinalIgnoreCase) ? 1 : 0)))
                    foreach (var phrase in NeoplasmPhrases(entry.Column ?? "", site))
                        yield return new LexiconTerm(phrase, system, code, TermSource.IndexTerm, 0.45);
                break;
            case "drug":
                if (entry.Column is { } column && column.Contains("Accidental", StringComparison.OrdinalIgnoreCase))
                {
                    yield return new LexiconTerm(path + " poisoning", system, code, TermSource.IndexTerm, 0.4);
                    yield return new LexiconTerm(path + " intoxication", system, code, TermSource.IndexTerm, 0.4);
                }
                else if (entry.Column is { } c2 && c2.Contains("Adverse", StringComparison.OrdinalIgnoreCase))
                    yield return new LexiconTerm(path + " adverse effect", system, code, TermSource.IndexTerm, 0.4);
                break;
            case "external-cause" or "eindex":
                if (sources.HasFlag(TermSources.ExternalCauseIndex))
                    yield return new LexiconTerm(path, system, code, TermSource.IndexTerm, 0.3);
                break;
            default:
                yield return new LexiconTerm(path, system, code, TermSource.IndexTerm, 0.45);
                break;
        }
    }

    /// <summary>Neoplasm Table column (lower case) → how notes name a neoplasm of a site in that column (Data/neoplasm-phrases-en.tsv).</summary>
    static readonly ILookup<string, string> NeoplasmPhrasing = LanguageData.ReadLines("neoplasm-phrases-en.tsv")
        .Select(l => l.Split('\t'))
        .ToLookup(f => f[0], f => f[1], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A Neoplasm Table site as notes name it. A site title that lists one word's forms ("vagina, vaginal", "uterus, uteri,
    /// uterine", "pleura, pleural", "spleen, splenic NEC") names the site by any one of them — read together, every form
    /// would have to occur; a title whose second part qualifies the first ("lobe, brain", "vesicle, seminal") is one name.
    /// </summary>
    static IEnumerable<string> NeoplasmSites(IEnumerable<string> path)
    {
        IEnumerable<string> sites = [""];
        foreach (var title in path)
        {
            var forms = WordForms(title);
            sites = sites.SelectMany(s => forms.Select(f => s.Length == 0 ? f : s + " " + f)).ToList();
        }
        return sites;
    }

    [GeneratedRegex(@"\s+NEC$")] private static partial Regex TrailingNec();

    static string[] WordForms(string title)
    {
        var parts = TrailingNec().Replace(title, "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var forms = parts.Length > 1 && parts.All(p => !p.Contains(' ') && p.Length > 2 && string.Compare(p, 0, parts[0], 0, 2, StringComparison.OrdinalIgnoreCase) == 0);
        return forms ? parts : [title];
    }

    static IEnumerable<string> NeoplasmPhrases(string column, string site) =>
        NeoplasmPhrasing[column].Select(phrase => phrase.Replace("{site}", site, StringComparison.Ordinal));

    static IEnumerable<LexiconTerm> ExtractPcs(CodeSystemVersion pcs)
    {
        // 4-character prefixes ("Resection, Kidney, Right") name an operation on a body part (reported as their one code when the table allows one only).
        foreach (var c in pcs.Concepts.Values)
            if (c.Code.Length == 4)
                yield return new LexiconTerm(c.Display, CodeSystems.Icd10Pcs, ProcedureTerms.ReportedCode(c), TermSource.Description, 0.3);
        foreach (var entry in pcs.IndexEntries)
        {
            var code = entry.Code.Replace(".", "").TrimEnd('-');
            if (code.Length < 4 || ProcedureReporting.Readings.Contains(entry.Path[0])) continue;
            yield return new LexiconTerm(string.Join(" ", entry.Path), CodeSystems.Icd10Pcs, code.Length > 4 && code.Length < 7 ? code[..4] : code, TermSource.IndexTerm, 0.4);
        }
    }
}
