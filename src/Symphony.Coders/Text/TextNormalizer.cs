using System.Globalization;
using System.Text;

namespace Symphony.Coders.Text;

/// <summary>
/// Turns one word into the key the matcher compares: lower case, accents removed, and a light
/// plural/gender stem so "Infecciones" matches "infección" and "kidneys" matches "kidney".
/// </summary>
public static class TextNormalizer
{
    /// <summary>The matching key of a word: folded, stemmed, then mapped to its canonical equivalent ("renal" → "kidney").</summary>
    public static string Normalize(ReadOnlySpan<char> word, Language language)
    {
        // Notes repeat their words: remember each word's key (bounded, so garbage input cannot grow it without limit).
        var cache = language == Language.Spanish ? SpanishCache : EnglishCache;
        if (cache.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(word, out var cached)) return cached;
        var stemmed = FoldAndStem(word, language);
        var key = LanguageData.For(language).Equivalents.GetValueOrDefault(stemmed, stemmed);
        if (_cachedWords < MaxCachedWords && word.Length <= 40 && cache.TryAdd(word.ToString(), key)) Interlocked.Increment(ref _cachedWords);
        return key;
    }

    static int _cachedWords;

    const int MaxCachedWords = 200_000;
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> EnglishCache = new(StringComparer.Ordinal);
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> SpanishCache = new(StringComparer.Ordinal);

    /// <summary>Lower case, accents removed, light plural/gender stem; no synonym mapping.</summary>
    public static string FoldAndStem(ReadOnlySpan<char> word, Language language)
    {
        Span<char> buffer = word.Length <= 128 ? stackalloc char[word.Length] : new char[word.Length];
        var length = 0;
        foreach (var c in word)
        {
            var folded = FoldChar(c);
            if (folded != '\0') buffer[length++] = folded;
        }
        var folded_ = buffer[..length];
        return Stem(folded_, language);
    }

    /// <summary>Lower case without accents; '\0' for characters that are dropped (apostrophes).</summary>
    public static char FoldChar(char c)
    {
        if (c < 128) return c is >= 'A' and <= 'Z' ? (char)(c + 32) : c == '\'' ? '\0' : c;
        switch (c)
        {
            case 'á' or 'à' or 'â' or 'ä' or 'ã' or 'Á' or 'À' or 'Â' or 'Ä' or 'Ã': return 'a';
            case 'é' or 'è' or 'ê' or 'ë' or 'É' or 'È' or 'Ê' or 'Ë': return 'e';
            case 'í' or 'ì' or 'î' or 'ï' or 'Í' or 'Ì' or 'Î' or 'Ï': return 'i';
            case 'ó' or 'ò' or 'ô' or 'ö' or 'õ' or 'Ó' or 'Ò' or 'Ô' or 'Ö' or 'Õ': return 'o';
            case 'ú' or 'ù' or 'û' or 'ü' or 'Ú' or 'Ù' or 'Û' or 'Ü': return 'u';
            case 'ñ' or 'Ñ': return 'n';
            case 'ç' or 'Ç': return 'c';
            case '’' or '‘': return '\0';
        }
        var lower = char.ToLowerInvariant(c);
        var decomposed = lower.ToString().Normalize(NormalizationForm.FormD);
        foreach (var d in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(d) != UnicodeCategory.NonSpacingMark) return d;
        return lower;
    }

    static string Stem(ReadOnlySpan<char> w, Language language)
    {
        if (w.Length <= 3 || !char.IsLetter(w[^1])) return new string(w);
        return language == Language.Spanish ? StemSpanish(w) : StemEnglish(w);
    }

    static string StemEnglish(ReadOnlySpan<char> w)
    {
        if (w.EndsWith("ies") && w.Length > 4) return string.Concat(w[..^3], "y");
        if (w.EndsWith("sses") || w.EndsWith("xes") || w.EndsWith("ches") || w.EndsWith("shes")) return new string(w[..^2]);
        if (w.EndsWith("ss") || w.EndsWith("us") || w.EndsWith("is") || w.EndsWith("ous")) return new string(w);
        if (w.EndsWith("s") && w.Length > 4) return new string(w[..^1]);
        return new string(w);
    }

    static string StemSpanish(ReadOnlySpan<char> w)
    {
        if (w.EndsWith("ces") && w.Length > 5) w = string.Concat(w[..^3], "z");
        else if (w.EndsWith("es") && w.Length > 5 && !IsVowel(w[^3])) w = w[..^2];
        else if (w.EndsWith("s") && w.Length > 4 && IsVowel(w[^2])) w = w[..^1];
        // Gender: "crónico"/"crónica" share one key.
        if (w.Length > 4 && (w[^1] == 'a' || w[^1] == 'o')) w = w[..^1];
        return new string(w);
    }

    static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u';
}
