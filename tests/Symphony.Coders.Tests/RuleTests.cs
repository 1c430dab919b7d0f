using Symphony.Coders.Lexicon;
using Symphony.Coders.Rules;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

public class RuleTests
{
    [Fact]
    public void Note_codes_are_read_as_single_codes_and_ranges()
    {
        var ranges = NoteCodes.Ranges("hypertensive disease complicating pregnancy (O10-O11, O13-O16), diabetes (E11.-)");
        Assert.Equal([new CodeRange("O10", "O11"), new CodeRange("O13", "O16"), new CodeRange("E11", "E11")], ranges);
        Assert.True(ranges[0].Contains("O11.3"));
        Assert.False(ranges[0].Contains("O12"));
        Assert.True(ranges[2].Contains("E11.22"));
    }

    [Fact]
    public void Term_and_code_pairs_come_out_of_notes()
    {
        Assert.Equal(("renal colic", "N23"), NoteCodes.TermAndCode("renal colic (N23)"));
        Assert.Equal(("diabetic chronic kidney disease", "E11.22"), NoteCodes.TermAndCode("diabetic chronic kidney disease (E11.22)")!.Value);
        Assert.Null(NoteCodes.TermAndCode("hypertensive disease (I10-I16)"));
    }

    [Fact]
    public void Specificity_descends_to_the_unspecified_child_and_stops_at_a_billable_code()
    {
        var cs = SmallCodeSystem.Create();
        Assert.Equal("E11.9", SpecificityRule.Descend(cs, cs.Find("E11")!).Concept.Code);
        Assert.Equal("N18.9", SpecificityRule.Descend(cs, cs.Find("N18")!).Concept.Code);
        Assert.Equal("I10", SpecificityRule.Descend(cs, cs.Find("I10")!).Concept.Code);
        Assert.Equal("S72.001D", SpecificityRule.Descend(cs, cs.Find("S72.001")!, Episode.Subsequent).Concept.Code);
    }

    [Theory]
    [InlineData("D49", "D49.9")]   // every child repeats "of unspecified behavior"; D49.9 adds "of unspecified site"
    [InlineData("J45.90", "J45.909")] // every child repeats "Unspecified asthma"; J45.909 adds "uncomplicated"
    [InlineData("E11", "E11.9")]      // "with unspecified complications" (E11.8) documents complications; E11.9 is "without"
    [InlineData("B27.0", "B27.00")]   // "without complication", not B27.09 "with other complications"
    [InlineData("G43.1", "G43.109")]  // not intractable, then without status migrainosus
    public void The_default_child_is_the_one_whose_title_adds_unspecified_or_an_absence_not_one_that_repeats_it(string category, string expected)
    {
        var cs = Icd10Cm.Value;
        Assert.Equal(expected, SpecificityRule.Descend(cs, cs.Find(category)!).Concept.Code);
    }

    static readonly Lazy<Symphony.Terminology.Model.CodeSystemVersion> Icd10Cm = ShippedCodeSystems.Icd10Cm;

    [Theory]
    [InlineData("Migraine.", Language.English)]
    [InlineData("Migraña.", Language.Spanish)]
    public void Titles_that_read_the_same_once_shortened_give_the_unspecified_code(string note, Language language)
    {
        // "Migraine without aura, …" (G43.009) and "Migraine, unspecified, …" (G43.909) both shorten to "migraine".
        var coder = new Coder(Icd10Cm.Value, null, sources: TermSources.Default | TermSources.NoSynonyms);
        var code = Assert.Single(coder.Code(note, new CodingOptions { Language = language }).Codes);
        Assert.Equal("G43.909", code.Code);
    }

    [Theory]
    [InlineData("Sequela of burn of the left hand.", Episode.Sequela)]
    [InlineData("Secuelas de fractura de cadera.", Episode.Sequela)]
    [InlineData("Seen for follow-up of the fracture.", Episode.Subsequent)]
    [InlineData("Fractured femur after a fall today.", Episode.Initial)]
    public void The_episode_comes_from_the_sentence(string sentence, Episode expected) =>
        Assert.Equal(expected, SpecificityRule.DetectEpisode(sentence));

    [Fact]
    public void Combinations_apply_to_the_first_matching_pair()
    {
        var found = CombinationRule.FindApplicable(["I10", "N18.5"])!.Value;
        Assert.Equal("I12.0", found.Rule.Combined);
        Assert.Null(CombinationRule.FindApplicable(["I10", "J18.9"]));
    }

    [Fact]
    public void Excludes1_is_read_from_the_code_and_its_ancestors()
    {
        var notes = new TabularNotes(SmallCodeSystem.Create());
        Assert.True(notes.Excludes1("R10.83", "N23"));
        Assert.True(notes.Excludes1("N23", "R10.83"));
        Assert.False(notes.Excludes1("N23", "I10"));
        Assert.Contains(notes.Partners("E11.22", ["N18.3", "I10"]), p => p.Partner == "N18.3");
    }
}
