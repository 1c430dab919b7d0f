using System.Collections.Concurrent;
using Symphony.Coders.Rules;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Lexicon;

/// <summary>
/// The terms every site shares, per language: code-system terms (English), then the language's
/// synonym file, with clinical abbreviations added as variants. Built once per language on first
/// use and shared by every <see cref="Coder"/> made from it.
/// </summary>
internal sealed class TerminologyLexicon(CodeSystemVersion? icd10Cm, CodeSystemVersion? icd10Pcs, IReadOnlyList<CodeSystemVersion> others, TermSources sources)
{
    readonly ConcurrentDictionary<(Language, bool), Lazy<TermMatcher>> _matchers = new();

    public CodeSystemVersion? Icd10Cm => icd10Cm;
    public CodeSystemVersion? Icd10Pcs => icd10Pcs;
    /// <summary>Code systems coded from their displays, designations and hierarchy alone (<see cref="GenericTerms"/>).</summary>
    public IReadOnlyList<CodeSystemVersion> Others => others;
    public TabularNotes? Notes { get; } = icd10Cm is null ? null : new TabularNotes(icd10Cm);
    public HistoryCodes? History { get; } = icd10Cm is null ? null : new HistoryCodes(icd10Cm);
    public StatusCodes? Status { get; } = icd10Cm is null ? null : new StatusCodes(icd10Cm);

    /// <param name="withSynonyms">False when a site lexicon covers the language: its coder reads the synonyms the site has not decided on from a matcher of its own.</param>
    public TermMatcher Matcher(Language language, bool withSynonyms = true) =>
        _matchers.GetOrAdd((language, withSynonyms), key => new Lazy<TermMatcher>(() => Build(key.Item1, key.Item2))).Value;

    readonly ConcurrentDictionary<Language, IReadOnlyList<LexiconTerm>> _synonyms = new();

    /// <summary>The generic synonyms a language is read with (none when they are switched off).</summary>
    public IReadOnlyList<LexiconTerm> SynonymTerms(Language language) => _synonyms.GetOrAdd(language, lang =>
    {
        if (sources.HasFlag(TermSources.NoSynonyms)) return [];
        // The synonym files name ICD codes: only those of a loaded system are read.
        bool Loaded(LexiconTerm t) => t.System == CodeSystems.Icd10Cm ? icd10Cm is not null : icd10Pcs is not null;
        var terms = Synonyms(lang).Where(Loaded).ToList();
        // The English common names are carried over word by word, as the titles are (Spanish zero-shot D F1 on
        // CodiEsp dev 0.486 → 0.536: common names the titles do not use).
        if (lang == Language.Spanish && sources.HasFlag(TermSources.SpanishTranslations)) terms.AddRange(Translated(Synonyms(Language.English).Where(Loaded)));
        return terms;
    });

    /// <summary>A term carried over word by word is less sure than the same term in its own language.</summary>
    const double TranslatedWeight = 0.8;

    TermMatcher Build(Language language, bool withSynonyms)
    {
        var terms = new List<LexiconTerm>();
        var translate = language == Language.Spanish && sources.HasFlag(TermSources.SpanishTranslations);
        if (withSynonyms) terms.AddRange(SynonymTerms(language));
        // Procedure names in the note's language (ecografía renal, nefrectomía), composed with the PCS tables.
        if (icd10Pcs is not null && sources.HasFlag(TermSources.Procedures)) terms.AddRange(ProcedureTerms.Compose(icd10Pcs, language));
        if (language == Language.English) terms.AddRange(TerminologyTerms.Extract(icd10Cm, icd10Pcs, sources));
        else if (translate) terms.AddRange(Translated(TerminologyTerms.Extract(icd10Cm, icd10Pcs, sources)));
        foreach (var cs in others)
        {
            terms.AddRange(GenericTerms.Extract(cs, language));
            // Displays in English reach Spanish notes as the ICD titles do, unless the system names its concepts in Spanish.
            if (translate && !GenericTerms.SameLanguage(cs.Language ?? GenericTerms.DefaultLanguage, language.ToCode())) terms.AddRange(Translated(GenericTerms.Extract(cs, Language.English)));
        }
        // The matcher keeps the first term for a set of words and a code: best source first, then the highest weight
        // ("Migraine" → G43.909 from "Migraine, unspecified", not the weaker reading of the category title G43).
        return new TermMatcher(terms.OrderBy(t => t.Source).ThenByDescending(t => t.Weight), language, Abbreviations(language));
    }

    static IEnumerable<LexiconTerm> Translated(IEnumerable<LexiconTerm> englishTerms) =>
        from term in englishTerms
        let spanish = SpanishTerms.Translate(term.Text)
        where spanish is not null
        select term with { Text = spanish, Weight = term.Weight * TranslatedWeight };

    /// <summary>Data/synonyms-{lang}.tsv: term, system, code — common clinical names the code titles do not use.</summary>
    public static IEnumerable<LexiconTerm> Synonyms(Language language) =>
        LanguageData.ReadLines($"synonyms-{language.ToCode()}.tsv")
            .Select(line => line.Split('\t'))
            .Select(f => new LexiconTerm(f[0], CodeSystems.Parse(f[1]), SiteLexicon.NormalizeCode(f[2], CodeSystems.Parse(f[1])), TermSource.Synonym, 0.7));

    /// <summary>Data/abbreviations-{lang}.tsv: abbreviation, expansion.</summary>
    public static IEnumerable<(string Abbreviation, string Expansion)> Abbreviations(Language language) =>
        LanguageData.ReadLines($"abbreviations-{language.ToCode()}.tsv")
            .Select(line => line.Split('\t'))
            .Select(f => (f[0], f[1]));
}
