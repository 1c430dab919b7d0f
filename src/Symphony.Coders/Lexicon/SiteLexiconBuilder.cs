using Symphony.Coders.Text;

namespace Symphony.Coders.Lexicon;

/// <summary>A phrase a site's coders accepted as evidence for a code in one document.</summary>
public sealed record AcceptedAnnotation(string Document, string Term, string System, string Code);

/// <summary>
/// Builds a site lexicon from the codes a site's coders accepted, with the phrases they quoted.
/// Each (phrase, code) gets a weight: of the site's documents where the phrase occurs, the share
/// that were given that code. Phrases that mostly occur without their code (a word used in
/// passing) fall under <paramref name="minWeight"/> and are left out. The coder's generic terms,
/// when given, are measured the same way: one that occurred in at least
/// <see cref="MinEvidence"/> of the site's documents and held under <paramref name="minWeight"/>
/// is written with weight 0, which tells the coder not to give that code for those words at this site.
/// </summary>
public static partial class SiteLexiconBuilder
{
    /// <summary>The share of documents a phrase must have carried its code in (best of 0.35–0.5 in two-fold cross-validation on CodiEsp train).</summary>
    public const double DefaultMinWeight = 0.45;

    /// <summary>Documents a phrase must occur in before its weight is trusted enough to block it (1 was better than 2 or 3 in two-fold cross-validation on CodiEsp train).</summary>
    public const int MinEvidence = 1;

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(derech[oa]s?|izquierd[oa]s?|bilateral(es)?|right|left|bilateral)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex Laterality();

    /// <param name="codeNamesSide">True for a code whose meaning includes a side (H33.22: left eye); its phrases are not also taught without their side.</param>
    public static List<SiteLexiconEntry> Build(IEnumerable<AcceptedAnnotation> annotations, IReadOnlyDictionary<string, string> texts, Language language, double minWeight = DefaultMinWeight, IEnumerable<LexiconTerm>? genericTerms = null, Func<string, string, bool>? codeNamesSide = null)
    {
        var list = annotations.Where(a => a.Term.Trim().Length > 1).ToList();
        var codesByDocument = list.GroupBy(a => a.Document).ToDictionary(g => g.Key, g => g.Select(a => (a.System, a.Code)).ToHashSet());
        // One candidate per (word set, code); the most frequent surface form names it.
        var candidates = list
            .GroupBy(a => (Keys: string.Join(' ', TermMatcher.ContentKeys(a.Term, language).Order(StringComparer.Ordinal)), a.System, a.Code))
            .Where(g => g.Key.Keys.Length > 0)
            .Select(g => (Term: g.GroupBy(a => a.Term.Trim().ToLowerInvariant()).OrderByDescending(t => t.Count()).ThenBy(t => t.Key, StringComparer.Ordinal).First().Key, g.Key.System, g.Key.Code))
            .ToList();
        // The side is rarely what a code depends on: "cáncer de borde lingual izquierdo" also teaches "cáncer de borde lingual";
        // unless the code names the side ("desprendimiento de retina del ojo izquierdo", H33.22 left eye).
        var sideless = candidates
            .Where(c => codeNamesSide?.Invoke(c.System, c.Code) != true)
            .Select(c => (Term: Laterality().Replace(c.Term, " ").Trim(), c.System, c.Code))
            .Where(c => c.Term.Length > 2 && TermMatcher.ContentKeys(c.Term, language).Length > 0)
            .ToList();
        candidates = candidates.Concat(sideless).DistinctBy(c => (TermMatcher.Signature(c.Term, language), c.Code)).ToList();
        var siteCount = candidates.Count;
        if (genericTerms is not null)
            candidates = candidates.Concat(genericTerms.Select(t => (Term: t.Text, t.System, t.Code))).DistinctBy(c => (TermMatcher.Signature(c.Term, language), c.Code)).ToList();
        // Measured as the coder matches them, clinical abbreviations included ("VEB" for "virus de Epstein-Barr").
        var matcher = new TermMatcher(candidates.Select(c => new LexiconTerm(c.Term, c.System, c.Code, TermSource.SiteLexicon)), language, TerminologyLexicon.Abbreviations(language));
        var occurs = new Dictionary<(string, string), int>();
        var confirmed = new Dictionary<(string, string), int>();
        foreach (var (document, text) in texts)
        {
            var tokens = Tokenizer.Tokenize(text, language);
            var seen = new HashSet<(string Term, string Code, string System)>();
            foreach (var sentence in tokens.Sentences)
                foreach (var match in matcher.Match(tokens, sentence))
                {
                    var term = matcher[match.TermId];
                    seen.Add((term.Text, term.Code, term.System));
                }
            var accepted = codesByDocument.GetValueOrDefault(document);
            foreach (var (term, code, system) in seen)
            {
                occurs[(term, code)] = occurs.GetValueOrDefault((term, code)) + 1;
                if (accepted is not null && accepted.Contains((system, code))) confirmed[(term, code)] = confirmed.GetValueOrDefault((term, code)) + 1;
            }
        }
        var entries = new List<SiteLexiconEntry>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var (term, system, code) = candidates[i];
            var n = occurs.GetValueOrDefault((term, code));
            var fromSite = i < siteCount; // the site's own phrase, not one of the coder's generic terms
            var weight = (double)confirmed.GetValueOrDefault((term, code)) / Math.Max(n, 1);
            // A site phrase that never matched its own document (e.g. split by a line break) keeps a neutral weight.
            if (fromSite && n == 0) weight = 0.5;
            if (fromSite && weight >= minWeight) entries.Add(new SiteLexiconEntry(term, system, code, language, Math.Round(weight, 3)));
            else if (weight < minWeight && n >= MinEvidence) entries.Add(new SiteLexiconEntry(term, system, code, language, 0));
        }
        return entries.OrderBy(e => e.Term, StringComparer.Ordinal).ThenBy(e => e.Code, StringComparer.Ordinal).ToList();
    }
}
