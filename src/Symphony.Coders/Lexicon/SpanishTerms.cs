using System.Collections.Frozen;
using System.Text;
using Symphony.Coders.Text;

namespace Symphony.Coders.Lexicon;

/// <summary>
/// Carries the English code-system terms over to Spanish word by word, so a Spanish note can be
/// matched against ICD-10-CM/PCS without a Spanish release: a word is looked up in the glossary
/// (Data/translations-en-es.tsv: kidney → riñón) or else rewritten by the regular cognate
/// patterns of medical vocabulary (nephrolithiasis → nefrolitiasis, dyspareunia → dispareunia,
/// cystostomy → cistostomía, chronic → crónico). A wrongly rewritten word is not a Spanish word,
/// so it simply never matches.
/// </summary>
public static class SpanishTerms
{
    static readonly FrozenDictionary<string, string> Glossary = LanguageData.ReadLines("translations-en-es.tsv")
        .Select(line => line.Split('\t'))
        .ToFrozenDictionary(f => f[0].Trim().ToLowerInvariant(), f => f.Length > 1 ? f[1].Trim() : "", StringComparer.Ordinal);

    // Longest suffix first; the first that fits is used.
    static readonly (string English, string Spanish)[] Suffixes =
    [
        ("ectomy", "ectomia"), ("ostomy", "ostomia"), ("otomy", "otomia"), ("plasty", "plastia"), ("scopy", "scopia"),
        ("graphy", "grafia"), ("gram", "grama"), ("pathy", "patia"), ("logy", "logia"), ("trophy", "trofia"), ("plegia", "plejia"),
        ("rrhagia", "rragia"), ("rrhage", "rragia"), ("rrhea", "rrea"), ("rrhoea", "rrea"), ("nction", "ncion"), ("tion", "cion"), ("tial", "cial"),
        ("ity", "idad"), ("ical", "ico"), ("ic", "ico"), ("ctious", "ccioso"), ("eous", "eo"), ("ous", "oso"), ("ency", "encia"), ("ized", "izado"), ("ised", "izado"), ("ism", "ismo"), ("ist", "ista"), ("ary", "ario"),
        ("ory", "orio"), ("ence", "encia"), ("ance", "ancia"), ("ment", "mento"), ("ant", "ante"), ("ent", "ente"),
        ("ive", "ivo"), ("ile", "il"), ("ine", "ina"), ("ide", "ido"), ("ate", "ato"), ("ite", "ito"), ("ose", "oso"),
        ("um", "o"), ("genesis", "genesia"), ("y", "ia"),
    ];

    /// <summary>The Spanish reading of an English term, or null when a word of it cannot be carried over.</summary>
    public static string? Translate(string englishTerm)
    {
        var words = new List<string>();
        var stopwords = LanguageData.For(Language.English).Stopwords;
        var start = -1;
        for (var i = 0; i <= englishTerm.Length; i++)
        {
            if (i < englishTerm.Length && char.IsLetterOrDigit(englishTerm[i])) { if (start < 0) start = i; continue; }
            if (start < 0) continue;
            var word = englishTerm[start..i].ToLowerInvariant();
            start = -1;
            if (stopwords.Contains(TextNormalizer.FoldAndStem(word, Language.English))) continue;
            if (Word(word) is not { } spanish) return null;
            words.Add(spanish);
        }
        return words.Count == 0 ? null : string.Join(' ', words);
    }

    /// <summary>One English word in Spanish: the glossary's word, the word itself when it has digits or is short, or its cognate.</summary>
    public static string? Word(string english)
    {
        if (Glossary.TryGetValue(english, out var spanish)) return spanish.Length == 0 ? null : spanish;
        // Plurals take the singular's glossary entry ("kidneys" → riñón); the Spanish stem ignores number.
        if (english.EndsWith('s') && Glossary.TryGetValue(english[..^1], out spanish)) return spanish.Length == 0 ? null : spanish;
        if (english.Length <= 3 || english.Any(char.IsDigit)) return english;
        return Cognate(english);
    }

    /// <summary>The regular Spanish form of a Greek/Latin medical word: suffix, then spelling (ph → f, th → t, y → i, k → c/qu, double consonants, s- → es-, pn- → n-, imm- → inm-).</summary>
    public static string Cognate(string english)
    {
        // A plural's singular takes the suffix rule ("infections" → infección); a word no rule fits is kept as
        // written, and the Spanish stem then reads its plural ("diabetes", "varices").
        var w = WithSpanishSuffix(english)
            ?? (english.EndsWith('s') && !english.EndsWith("ss") && !english.EndsWith("us") && !english.EndsWith("is") ? WithSpanishSuffix(english[..^1]) : null)
            ?? english;
        var b = new StringBuilder(w.Length + 2);
        for (var i = 0; i < w.Length; i++)
        {
            var c = w[i];
            var next = i + 1 < w.Length ? w[i + 1] : '\0';
            var after = i + 2 < w.Length ? w[i + 2] : '\0';
            if (c == 'p' && next == 'h') { b.Append('f'); i++; }
            else if ((c == 't' || c == 'r') && next == 'h') { b.Append(c); i++; }
            else if (c == 'c' && next == 'h') { b.Append(after is 'e' or 'i' ? "qu" : "c"); i++; }
            else if (c == 'k') b.Append(next is 'e' or 'i' ? "qu" : "c");
            else if (c == 'y') b.Append('i');
            else if ((c == 'a' || c == 'o') && next == 'e') { b.Append('e'); i++; }
            else if (c == next && c is not ('c' or 'r' or 'e' or 'o' or 'a' or 'i' or 'u')) { b.Append(c); i++; }
            else b.Append(c);
        }
        if (b.Length > 2 && b[0] == 's' && !IsVowel(b[1])) b.Insert(0, 'e');
        else if (b.Length > 2 && b[0] == 'p' && b[1] == 'n') b.Remove(0, 1);
        else if (b.Length > 3 && b[0] == 'i' && b[1] == 'm' && b[2] == 'u') b.Insert(1, 'n'); // immuno- (after mm → m) → inmuno-
        return b.ToString();
    }

    static string? WithSpanishSuffix(string w)
    {
        if (w.EndsWith("sis") || w.EndsWith("itis") || w.EndsWith("oma") || w.EndsWith("ia") || w.EndsWith("cele")) return w;
        foreach (var (en, es) in Suffixes)
            if (w.EndsWith(en, StringComparison.Ordinal) && w.Length > en.Length + 2) return w[..^en.Length] + es;
        return null;
    }

    static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u';
}
