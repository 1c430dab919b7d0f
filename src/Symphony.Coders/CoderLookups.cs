using Symphony.Coders.Lexicon;
using Symphony.Coders.Rules;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders;

/// <summary>A lexicon term found for a phrase.</summary>
public sealed record LexiconHit(string Term, string System, string Code, string Display, TermSource Source);

/// <summary>What a coder reads about a code in the tabular list.</summary>
public sealed record ConceptDetails(
    string System,
    string Code,
    string Display,
    bool IsBillable,
    IReadOnlyList<(string Code, string Display)> Ancestors,
    IReadOnlyList<(string Code, string Display)> Children,
    IReadOnlyList<ConceptNote> Notes,
    IReadOnlyDictionary<char, string>? SeventhCharacters);

/// <summary>One finding about a proposed code set.</summary>
public sealed record VerificationIssue(string Code, string Kind, string Message);

/// <summary>The tools an expert coder (or an agent) uses besides reading the note: look up, explore, verify.</summary>
public sealed partial class Coder
{
    /// <summary>Lexicon terms for a phrase: terms the phrase contains, then terms that contain all of its words.</summary>
    public IReadOnlyList<LexiconHit> Search(string phrase, Language language = Language.English, int limit = 20)
    {
        ArgumentNullException.ThrowIfNull(phrase);
        if (string.IsNullOrWhiteSpace(phrase) || phrase.Length > 1000) return [];
        var hits = new List<LexiconHit>();
        var matchers = new List<TermMatcher>();
        if (_site.TryGetValue(language, out var site)) matchers.Add(site);
        matchers.Add(_terminology.Matcher(language));
        var tokens = Tokenizer.Tokenize(phrase.Replace('\n', ' '), language);
        foreach (var matcher in matchers)
            foreach (var sentence in tokens.Sentences)
                foreach (var match in matcher.Match(tokens, sentence).OrderByDescending(m => matcher.WordCount(m.TermId)))
                    hits.Add(Hit(matcher[match.TermId]));
        var keys = TermMatcher.ContentKeys(phrase, language);
        foreach (var matcher in matchers)
            foreach (var termId in matcher.Containing(keys, limit))
                hits.Add(Hit(matcher[termId]));
        return hits.DistinctBy(h => (h.System, h.Code, h.Term)).Take(limit).ToList();

        LexiconHit Hit(LexiconTerm t) => new(t.Text, t.System, t.Code, DisplayOf(t.System, t.Code, t.Text), t.Source);
    }

    /// <summary>A code's place in the tabular list: ancestors, children, notes (inherited ones included via ancestors), 7th characters.</summary>
    public ConceptDetails? Explore(string code, string system = CodeSystems.Icd10Cm)
    {
        if (_systems.GetValueOrDefault(system) is not { } cs) return null;
        if (cs.Find(IsGeneric(system) ? code : SiteLexicon.NormalizeCode(code, system)) is not { } concept) return null;
        var ancestors = new List<(string, string)>();
        IReadOnlyDictionary<char, string>? seventh = concept.SeventhCharacters;
        for (var p = concept.ParentCode is { } pc ? cs.Find(pc) : null; p is not null; p = p.ParentCode is { } ppc ? cs.Find(ppc) : null)
        {
            ancestors.Add((p.Code, p.Display));
            seventh ??= p.SeventhCharacters;
        }
        var children = concept.Children.Select(cs.Find).OfType<Concept>().Select(c => (c.Code, c.Display)).ToList();
        return new ConceptDetails(system, concept.Code, concept.Display, concept.IsBillable, ancestors, children, concept.Notes, seventh);
    }

    /// <summary>
    /// Checks a proposed ICD-10-CM code set as a coder would before submitting it: unknown codes,
    /// non-billable codes (with the default child), Excludes1 pairs, and unmet "code first" /
    /// "use additional code" instructions.
    /// </summary>
    public IReadOnlyList<VerificationIssue> Verify(IEnumerable<string> codes)
    {
        var issues = new List<VerificationIssue>();
        if (Icd10Cm is not { } cs || Notes is not { } notes) return [new VerificationIssue("", "no-terminology", "No ICD-10-CM release is loaded.")];
        var set = codes.Select(c => SiteLexicon.NormalizeCode(c, CodeSystems.Icd10Cm)).Distinct().ToList();
        foreach (var code in set)
        {
            if (cs.Find(code) is not { } concept) { issues.Add(new(code, "unknown", $"{code} is not a code of ICD-10-CM {cs.Version}.")); continue; }
            if (!concept.IsBillable)
            {
                var (leaf, _) = SpecificityRule.Descend(cs, concept);
                issues.Add(new(code, "not-billable", $"{code} is a {concept.Kind}; report a code below it" + (leaf.IsBillable ? $" (unspecified: {leaf.Code})." : ".")));
            }
            foreach (var other in set)
                if (string.CompareOrdinal(code, other) < 0 && notes.Excludes1(code, other))
                    issues.Add(new(code, "excludes1", $"{code} and {other} are mutually exclusive (Excludes1)."));
            foreach (var kind in new[] { NoteKind.CodeFirst, NoteKind.UseAdditionalCode })
            {
                var ranges = notes.Referenced(code, kind);
                if (ranges.Count > 0 && !set.Any(o => o != code && ranges.Any(r => r.Contains(o))))
                    issues.Add(new(code, kind == NoteKind.CodeFirst ? "code-first" : "use-additional-code",
                        $"{code}: {(kind == NoteKind.CodeFirst ? "code first" : "use additional code")} {string.Join(", ", ranges.Select(r => r.From == r.To ? r.From : $"{r.From}-{r.To}").Distinct().Take(6))} if documented."));
            }
        }
        return issues;
    }
}
