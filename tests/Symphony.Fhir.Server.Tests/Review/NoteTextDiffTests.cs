using Symphony.Coders;
using Symphony.Fhir.Server.Review;

namespace Symphony.Fhir.Server.Tests.Review;

/// <summary>Evidence spans mapped from one note version's text to the next: kept only when their words are unchanged.</summary>
public sealed class NoteTextDiffTests
{
    const string Before = "ASSESSMENT:\n1. Community-acquired pneumonia, right lower lobe.\n2. Chronic obstructive pulmonary disease.\nPLAN: Ceftriaxone.";

    static EvidenceSpan Span(string text, string words) => new(text.IndexOf(words, StringComparison.Ordinal), words.Length, words);

    [Fact]
    public void GivenTextInsertedBeforeAndAfter_WhenMapped_ThenTheSpanMovesWithItsWords()
    {
        var after = "CHIEF COMPLAINT: Shortness of breath.\n\n" + Before.Replace("PLAN:", "PLAN: Start nebulizers.\nPLAN:", StringComparison.Ordinal);
        var moved = new NoteTextDiff(Before, after).Map(Span(Before, "Chronic obstructive pulmonary disease"));
        Assert.Equal(Span(after, "Chronic obstructive pulmonary disease"), moved);
    }

    [Theory]
    [InlineData("Chronic obstructive lung disease")]          // a word of the span changed
    [InlineData("Chronic  obstructive pulmonary disease")]    // re-spaced: the words are not together as they were
    [InlineData("Chronic pulmonary disease")]                 // a word removed
    public void GivenTheSpansWordsChanged_WhenMapped_ThenNothingMaps(string rewritten)
    {
        var after = Before.Replace("Chronic obstructive pulmonary disease", rewritten, StringComparison.Ordinal);
        Assert.Null(new NoteTextDiff(Before, after).Map(Span(Before, "Chronic obstructive pulmonary disease")));
    }

    [Fact]
    public void GivenTheEvidenceSentenceRemoved_WhenMapped_ThenNothingMaps()
    {
        var before = "HISTORY: Hypertension since 2010.\nASSESSMENT: Stable.";
        Assert.Null(new NoteTextDiff(before, "HISTORY: None.\nASSESSMENT: Stable.").Map(Span(before, "Hypertension")));
    }

    [Fact]
    public void GivenASpanInsideAWord_WhenTheWordMoved_ThenThePartMovesWithIt()
    {
        var after = "Addendum.\n" + Before;
        Assert.Equal(Span(after, "pneumonia"), new NoteTextDiff(Before, after).Map(Span(Before, "pneumonia")));
    }
}
