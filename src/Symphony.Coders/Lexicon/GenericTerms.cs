using Symphony.Coders.Rules;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Lexicon;

/// <summary>
/// The terms of a code system that has no ICD tables, from what a FHIR CodeSystem carries: each concept's display
/// (in the system's language) and its designations (each in its own language; a display-use designation weighs as
/// a display, a synonym a little less). A term naming a concept that is not selectable leads to its default child
/// where the titles name one (<see cref="SpecificityRule"/>); otherwise the coder rejects it.
/// </summary>
public static class GenericTerms
{
    /// <summary>Designation uses that name the concept as its display does (FHIR designation-usage, SNOMED CT FSN and preferred term).</summary>
    static readonly HashSet<string> DisplayUses = ["display", "900000000000003001", "900000000000548007"];

    /// <summary>Displays without a stated language are read as English.</summary>
    internal const string DefaultLanguage = "en";

    public static IEnumerable<LexiconTerm> Extract(CodeSystemVersion cs, Language language) =>
        Terms(cs, language).Where(t => TerminologyTerms.IsSpecificEnough(t, icdStatusChapters: false));

    static IEnumerable<LexiconTerm> Terms(CodeSystemVersion cs, Language language)
    {
        var code = language.ToCode();
        var displaysMatch = SameLanguage(cs.Language ?? DefaultLanguage, code);
        foreach (var c in cs.Concepts.Values.OrderBy(c => c.Code, StringComparer.Ordinal))
        {
            var target = Target(cs, c);
            // "Other …" titles name residual classes ("Other specified disorders of kidney"), not what a note says.
            if (displaysMatch && !c.Display.StartsWith("Other ", StringComparison.OrdinalIgnoreCase))
            {
                var weight = (c.IsBillable ? 0.6 : 0.5) + (c.Display.Contains("unspecified", StringComparison.OrdinalIgnoreCase) ? 0.01 : 0);
                foreach (var v in TerminologyTerms.Variants(c.Display)) yield return new LexiconTerm(v, cs.Url, target, TermSource.Description, weight);
            }
            foreach (var d in c.Designations)
            {
                if (!SameLanguage(d.Language ?? cs.Language ?? DefaultLanguage, code)) continue;
                var isDisplay = d.Use is not null && DisplayUses.Contains(d.Use);
                foreach (var v in TerminologyTerms.Variants(d.Value))
                    yield return new LexiconTerm(v, cs.Url, target, isDisplay ? TermSource.Description : TermSource.InclusionTerm, isDisplay ? 0.55 : 0.5);
            }
        }
    }

    /// <summary>The code a term of <paramref name="concept"/> reports: itself, or for a concept that is not selectable its default child.</summary>
    static string Target(CodeSystemVersion cs, Concept concept) =>
        concept.IsBillable ? concept.Code : SpecificityRule.Descend(cs, concept).Concept.Code;

    /// <summary>"en-US" is English: languages compare by their primary subtag.</summary>
    internal static bool SameLanguage(string tag, string language)
    {
        var dash = tag.IndexOf('-');
        return (dash < 0 ? tag : tag[..dash]).Equals(language, StringComparison.OrdinalIgnoreCase);
    }
}
