using Symphony.Coders.Context;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

public class ContextTests
{
    /// <summary>The status of <paramref name="mention"/> (a word or phrase of the sentence).</summary>
    static MentionStatus StatusOf(string sentence, string mention, Language language)
    {
        var text = Tokenizer.Tokenize(sentence, language);
        var start = sentence.IndexOf(mention, StringComparison.Ordinal);
        var first = Array.FindIndex(text.Tokens, t => t.Start >= start);
        var last = Array.FindLastIndex(text.Tokens, t => t.End <= start + mention.Length);
        var s = text.Sentences.Single(s => s.Start <= start && start < s.End);
        return ContextDetector.For(language).Classify(text, s, first, last).Status;
    }

    [Theory]
    [InlineData("There was no evidence of pneumonia on the X-ray.", "pneumonia", MentionStatus.Negated)]
    [InlineData("The patient denies chest pain.", "chest pain", MentionStatus.Negated)]
    [InlineData("Pneumonia was ruled out.", "Pneumonia", MentionStatus.Negated)]
    [InlineData("Probable pneumonia of the right lower lobe.", "pneumonia", MentionStatus.Uncertain)]
    [InlineData("Suspected appendicitis.", "appendicitis", MentionStatus.Uncertain)]
    [InlineData("History of duodenal ulcer.", "duodenal ulcer", MentionStatus.History)]
    [InlineData("Family history of colon cancer.", "colon cancer", MentionStatus.Family)]
    [InlineData("Her mother had breast cancer.", "breast cancer", MentionStatus.Family)]
    [InlineData("Return if fever develops.", "fever", MentionStatus.Hypothetical)]
    [InlineData("The patient has pneumonia.", "pneumonia", MentionStatus.Affirmed)]
    [InlineData("No fever, but persistent cough.", "cough", MentionStatus.Affirmed)]
    public void English_sentences(string sentence, string mention, MentionStatus expected) =>
        Assert.Equal(expected, StatusOf(sentence, mention, Language.English));

    [Theory]
    [InlineData("No antecedentes de nefrolitiasis ni hematuria.", "hematuria", MentionStatus.Negated)]
    [InlineData("Afebril, sin disnea.", "disnea", MentionStatus.Negated)]
    [InlineData("No se observan adenopatías.", "adenopatías", MentionStatus.Negated)]
    [InlineData("Sospecha de apendicitis aguda.", "apendicitis aguda", MentionStatus.Uncertain)]
    [InlineData("Probable neumonía basal derecha.", "neumonía", MentionStatus.Uncertain)]
    [InlineData("Antecedentes de ulcus duodenal.", "ulcus duodenal", MentionStatus.History)]
    [InlineData("Antecedentes familiares de cáncer de colon.", "cáncer de colon", MentionStatus.Family)]
    [InlineData("Presenta cólico renal derecho.", "cólico renal", MentionStatus.Affirmed)]
    [InlineData("Sin fiebre pero con dolor lumbar.", "dolor lumbar", MentionStatus.Affirmed)]
    public void Spanish_sentences(string sentence, string mention, MentionStatus expected) =>
        Assert.Equal(expected, StatusOf(sentence, mention, Language.Spanish));
}
