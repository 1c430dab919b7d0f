namespace Symphony.Coders.Tests;

/// <summary>Names clinicians write that the tabular does not spell out: abbreviations, lay names, eponyms (Data/synonyms-en.tsv, abbreviations-en.tsv).</summary>
public class VocabularyTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    [Theory]
    [InlineData("He has CHF.", "I50.9")]
    [InlineData("AFib on warfarin.", "I48.91")]
    [InlineData("T2DM, well controlled.", "E11.9")]
    [InlineData("ESRD on hemodialysis.", "N18.6")]
    [InlineData("She has sugar diabetes.", "E11.9")]
    [InlineData("He had a heart attack.", "I21.9")]
    [InlineData("Kidney stones.", "N20.0")]
    [InlineData("C. diff colitis.", "A04.72")]
    [InlineData("She does have a history of GERD.", "K21.9")]
    [InlineData("NSTEMI.", "I21.4")]
    [InlineData("DM2 with neuropathy.", "E11.42")]
    [InlineData("PMR flare.", "M35.3")]
    [InlineData("History of CVA.,4.", "Z86.73")]
    [InlineData("Patient admitted with SOB.", "R06.02")]
    [InlineData("Known case of PTSD.", "F43.10")]
    [InlineData("Mild OSA, uses CPAP.", "G47.33")]
    public void A_name_clinicians_write_is_coded(string note, string expected) =>
        Assert.Contains(Shipped.Value.Code(note).Codes, c => c.Code == expected);

    [Fact]
    public void An_inclusion_term_naming_an_idiom_is_read_whole()
    {
        // MTSamples operative notes, as transcribed; R20.2 lists "Pins and needles" as an inclusion term.
        Assert.DoesNotContain(Shipped.Value.Code("The area was infiltrated with 0.25% Marcaine using a 25-gauge needle.").Codes, c => c.Code == "R20.2");
        Assert.Contains(Shipped.Value.Code("She complains of pins and needles in both feet.").Codes, c => c.Code == "R20.2");
    }

    [Fact]
    public void A_genus_initial_does_not_end_the_sentence_but_a_capital_after_a_period_does()
    {
        var codes = Shipped.Value.Code("C. diff colitis.").Codes.Select(c => c.Code).ToList();
        Assert.Contains("A04.72", codes);
        Assert.DoesNotContain("K52.9", codes);
        var text = Text.Tokenizer.Tokenize("Given vitamin C. He improved.", Text.Language.English);
        Assert.Equal(2, text.Sentences.Length);
    }

    [Fact]
    public void Every_synonym_line_with_a_source_names_a_code_of_the_shipped_code_system()
    {
        var cm = ShippedCodeSystems.Icd10Cm.Value;
        var lines = Text.LanguageData.ReadLines("synonyms-en.tsv").Select(l => l.Split('\t')).Where(f => f.Length >= 4).ToList();
        Assert.True(lines.Count >= 250, $"{lines.Count} sourced lines");
        Assert.All(lines, f => Assert.True(f[1] != "icd10cm" || cm.Find(f[2]) is not null, $"{f[0]}: {f[2]} is not in ICD-10-CM {cm.Version}"));
        Assert.All(lines, f => Assert.False(string.IsNullOrWhiteSpace(f[3]), $"{f[0]} has no source"));
    }
}
