namespace Symphony.Coders.Text;

/// <summary>The tokens and sentences of one note.</summary>
public sealed class TokenizedText
{
    public required string Text { get; init; }
    public required Token[] Tokens { get; init; }
    public required Sentence[] Sentences { get; init; }
}

/// <summary>
/// Splits a note into sentences and words with character offsets. Words are runs of letters and
/// digits; hyphens and punctuation separate words. A sentence ends at a line break or at . ! ? ;
/// followed by white space.
/// </summary>
public static class Tokenizer
{
    /// <summary>
    /// The period of an abbreviated genus ("E. coli", "C. diff", "S. aureus", "H. pylori"): one letter, a period, then a
    /// lower-case word — not the end of a sentence.
    /// </summary>
    static bool IsGenusInitial(string text, int i, List<Token> tokens) =>
        text[i] == '.' && tokens.Count > 0 && tokens[^1] is { Length: 1 } last && last.End == i && char.IsLetter(text[last.Start])
        && (last.Start == 0 || !char.IsLetterOrDigit(text[last.Start - 1]))
        && i + 2 < text.Length && text[i + 1] == ' ' && char.IsLower(text[i + 2]);

    public static TokenizedText Tokenize(string text, Language language)
    {
        var stopwords = LanguageData.For(language).Stopwords;
        var tokens = new List<Token>(text.Length / 5 + 4);
        var sentences = new List<Sentence>(text.Length / 80 + 2);
        var sentenceStart = -1;
        var sentenceFirstToken = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsLetterOrDigit(c))
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || IsInnerApostrophe(text, i))) i++;
                if (sentenceStart < 0) sentenceStart = start;
                var key = TextNormalizer.Normalize(text.AsSpan(start, i - start), language);
                tokens.Add(new Token(start, i - start, key, stopwords.Contains(key)));
                continue;
            }
            if (IsSentenceEnd(text, i) && sentenceStart >= 0 && !IsGenusInitial(text, i, tokens))
            {
                var end = c == '\n' || c == '\r' ? i : i + 1;
                sentences.Add(new Sentence(sentenceStart, end - sentenceStart, sentenceFirstToken, tokens.Count - sentenceFirstToken));
                sentenceStart = -1;
                sentenceFirstToken = tokens.Count;
            }
            i++;
        }
        if (sentenceStart >= 0)
        {
            var last = tokens[^1];
            sentences.Add(new Sentence(sentenceStart, last.End - sentenceStart, sentenceFirstToken, tokens.Count - sentenceFirstToken));
        }
        return new TokenizedText { Text = text, Tokens = [.. tokens], Sentences = [.. sentences] };
    }

    static bool IsInnerApostrophe(string text, int i) =>
        (text[i] == '\'' || text[i] == '’') && i + 1 < text.Length && char.IsLetter(text[i + 1]) && i > 0 && char.IsLetter(text[i - 1]);

    static bool IsSentenceEnd(string text, int i)
    {
        var c = text[i];
        if (c == '\n' || c == '\r') return true;
        if (c is not ('.' or '!' or '?' or ';')) return false;
        // "3.5 mg", "e.g." and decimals do not end a sentence: require white space (or the end) after.
        return i + 1 >= text.Length || char.IsWhiteSpace(text[i + 1]);
    }
}
