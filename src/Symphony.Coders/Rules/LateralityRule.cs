using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Rules;

public enum Side
{
    Right,
    Left,
    Bilateral,
}

/// <summary>
/// Guideline: a side the note states is coded. When the chosen code leaves the side unspecified
/// ("Malignant neoplasm of unspecified kidney, except renal pelvis", "Scotoma involving central area,
/// unspecified eye") and the note states it beside the mention ("adenocarcinoma renal derecho",
/// "escotoma central bilateral", "ptosis palpebral OD"), the code becomes the sibling whose title
/// names that side (C64.1, H53.413, H02.401). Driven by the titles: no table of lateral codes.
/// </summary>
public static class LateralityRule
{
    public const string Name = "laterality";

    /// <summary>Content words after a mention that may still belong to it ("fractura de cadera izquierda", "catarata del ojo derecho").</summary>
    const int WordsAfter = 4;

    static readonly Dictionary<string, Side> SideWords = BuildSideWords();

    static Dictionary<string, Side> BuildSideWords()
    {
        var words = new Dictionary<string, Side>(StringComparer.Ordinal);
        void Add(Side side, params string[] list)
        {
            foreach (var w in list)
                foreach (var language in new[] { Language.English, Language.Spanish })
                    words.TryAdd(TextNormalizer.Normalize(w, language), side);
        }
        // OD/OI/AO: the ophthalmologist's right eye, left eye, both eyes.
        Add(Side.Right, "right", "derecho", "derecha", "OD");
        Add(Side.Left, "left", "izquierdo", "izquierda", "OI");
        Add(Side.Bilateral, "bilateral", "bilaterales", "both", "ambos", "ambas", "AO");
        return words;
    }

    /// <summary>The side a word names, if it names one.</summary>
    public static Side? SideOf(string tokenKey) => SideWords.TryGetValue(tokenKey, out var side) ? side : null;

    /// <summary>Content words before a mention that may still qualify it, as English writes the side ("right otitis media", "left knee pain").</summary>
    const int WordsBefore = 2;

    /// <summary>
    /// The side stated inside a mention, in the few words after it or in the two words before it, within its clause
    /// (no comma, semicolon, colon, full stop or bracket in between), and the last word that states it. A right and a
    /// left both stated read as bilateral.
    /// </summary>
    /// <param name="sentenceStart">The sentence's first token; with <paramref name="language"/> English, the words before the mention are read too (English writes the side before the noun, Spanish after it).</param>
    public static (Side Side, int Token)? StatedSide(TokenizedText tokens, TermMatch match, int sentenceEnd, int sentenceStart = 0, Language language = Language.Spanish)
    {
        (Side Side, int Token)? found = null;
        var wordsBefore = 0;
        for (var i = match.First - 1; language == Language.English && i >= sentenceStart; i--)
        {
            var token = tokens.Tokens[i];
            if (BreaksClause(tokens.Text.AsSpan(token.End, tokens.Tokens[i + 1].Start - token.End))) break;
            if (SideOf(token.Key) is { } before)
            {
                // The quote keeps the mention's own words; the side before it is read, not quoted.
                found = (before, match.Last);
                break;
            }
            if (!token.IsStopword && ++wordsBefore >= WordsBefore) break;
        }
        var wordsAfter = 0;
        for (var i = match.First; i < sentenceEnd; i++)
        {
            var token = tokens.Tokens[i];
            if (i > match.Last)
            {
                if (BreaksClause(tokens.Text.AsSpan(tokens.Tokens[i - 1].End, token.Start - tokens.Tokens[i - 1].End))) break;
                if (!token.IsStopword && ++wordsAfter > WordsAfter) break;
            }
            if (SideOf(token.Key) is not { } side) continue;
            found = (found is null || found.Value.Side == side ? side : Side.Bilateral, i);
        }
        return found;
    }

    static bool BreaksClause(ReadOnlySpan<char> between) => between.IndexOfAny(",;:.()") >= 0;

    /// <summary>The sibling whose title states <paramref name="side"/> where this code's says "unspecified"; null when there is none.</summary>
    public static Concept? Refine(CodeSystemVersion codeSystem, Concept concept, Side side)
    {
        if (!concept.Display.Contains(Unspecified, StringComparison.OrdinalIgnoreCase)
            || concept.ParentCode is null || codeSystem.Find(concept.ParentCode) is not { } parent) return null;
        var wanted = Titles(concept.Display, side).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var code in parent.Children)
            if (code != concept.Code && codeSystem.Find(code) is { } sibling && wanted.Contains(sibling.Display))
                return sibling;
        return null;
    }

    const string Unspecified = "unspecified";

    /// <summary>
    /// The title with one "unspecified" replaced by the side ("of right kidney"); for both sides also the word it
    /// qualified dropped (", unspecified eye" → ", bilateral") or made plural ("of unspecified eyelid" → "of bilateral eyelids").
    /// </summary>
    static IEnumerable<string> Titles(string title, Side side)
    {
        var word = side.ToString().ToLowerInvariant();
        for (var i = title.IndexOf(Unspecified, StringComparison.OrdinalIgnoreCase); i >= 0; i = title.IndexOf(Unspecified, i + 1, StringComparison.OrdinalIgnoreCase))
        {
            var after = i + Unspecified.Length;
            yield return title[..i] + word + title[after..];
            if (side != Side.Bilateral || after >= title.Length || title[after] != ' ') continue;
            var next = title.IndexOfAny([' ', ','], after + 1);
            if (next < 0) next = title.Length;
            yield return title[..i] + word + title[next..];
            yield return title[..i] + word + title[after..next] + "s" + title[next..];
        }
    }
}
