using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

public class TextTests
{
    [Theory]
    [InlineData("Infecciones", "infección", Language.Spanish)]
    [InlineData("crónica", "crónico", Language.Spanish)]
    [InlineData("tumores", "tumor", Language.Spanish)]
    [InlineData("Kidneys", "kidney", Language.English)]
    [InlineData("arteries", "artery", Language.English)]
    [InlineData("renal", "kidney", Language.English)]
    [InlineData("riñón", "renal", Language.Spanish)]
    public void Words_that_differ_only_in_case_accent_plural_gender_or_form_share_a_key(string a, string b, Language language) =>
        Assert.Equal(TextNormalizer.Normalize(b, language), TextNormalizer.Normalize(a, language));

    [Fact]
    public void Different_words_keep_different_keys() =>
        Assert.NotEqual(TextNormalizer.Normalize("hepatitis", Language.English), TextNormalizer.Normalize("hepatic", Language.English));

    [Fact]
    public void Tokens_carry_offsets_that_index_the_original_text()
    {
        const string text = "Mujer de 29 años con cólico renal.\nNo hematuria; ecografía: ectasia pielocalicial";
        var tokenized = Tokenizer.Tokenize(text, Language.Spanish);
        foreach (var token in tokenized.Tokens)
            Assert.True(char.IsLetterOrDigit(text[token.Start]) && char.IsLetterOrDigit(text[token.End - 1]));
        Assert.Equal(["Mujer", "de", "29", "años", "con", "cólico", "renal"], tokenized.Tokens.Take(7).Select(t => text.Substring(t.Start, t.Length)));
        Assert.Equal(3, tokenized.Sentences.Length);
        Assert.Equal("No hematuria;", text.Substring(tokenized.Sentences[1].Start, tokenized.Sentences[1].Length));
    }

    [Fact]
    public void Decimal_points_and_hyphens_do_not_end_sentences_but_separate_words()
    {
        var tokenized = Tokenizer.Tokenize("Creatinine 1.5 mg/dl in a non-smoker. Stable.", Language.English);
        Assert.Equal(2, tokenized.Sentences.Length);
        Assert.Contains(tokenized.Tokens, t => t.Key == "smoker");
    }
}
