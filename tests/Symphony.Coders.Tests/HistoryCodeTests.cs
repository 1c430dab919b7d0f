using Symphony.Coders.Context;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

public class HistoryCodeTests
{
    static readonly Coder Coder = new(SmallCodeSystem.Create(), null, sources: TermSources.Default | TermSources.NoSynonyms);
    static readonly CodingOptions English = new();
    static readonly CodingOptions Spanish = new() { Language = Language.Spanish };

    static string[] Codes(CodingResult result) => result.Codes.Select(c => c.Code).Order(StringComparer.Ordinal).ToArray();

    [Theory]
    [InlineData("She has a history of malignant neoplasm of kidney, treated by nephrectomy.", "Z85.528", "C64.9", Language.English)]
    [InlineData("Past medical history of pneumonia.", "Z87.01", "J18.9", Language.English)]
    [InlineData("Family history of type 2 diabetes mellitus.", "Z83.3", "E11.9", Language.English)]
    [InlineData("Family history of malignant neoplasm of kidney.", "Z80.5", "C64.9", Language.English)]
    [InlineData("Antecedentes personales de neoplasia maligna de riñón.", "Z85.528", "C64.9", Language.Spanish)]
    [InlineData("Antecedentes familiares de diabetes mellitus tipo 2.", "Z83.3", "E11.9", Language.Spanish)]
    public void A_past_or_family_condition_is_reported_with_its_history_code_from_the_code_system_titles(string note, string history, string disease, Language language)
    {
        var result = Coder.Code(note, new CodingOptions { Language = language });
        var code = Assert.Single(result.Codes);
        Assert.Equal(history, code.Code);
        // The status that decided the code: the history rule (history, family), or the history code's own title read as said.
        Assert.Contains(code.Status, new[] { MentionStatus.Affirmed, string.CompareOrdinal(history, "Z85") < 0 ? MentionStatus.Family : MentionStatus.History });
        Assert.Contains(code.Rules, r => r.Contains($"{disease} → {history}"));
        Assert.Contains(result.Rejected, r => r.Code == disease && r.Reason.EndsWith($"reported as {history}"));
        Assert.All(code.Spans, s => Assert.Equal(note.Substring(s.Start, s.Length), s.Text));
    }

    [Theory]
    [InlineData("Past medical history of pneumonia.", "Z87.01", MentionStatus.History)]
    [InlineData("Her brother had a malignant neoplasm of kidney.", "Z80.5", MentionStatus.Family)]
    public void A_history_code_given_by_the_history_rule_carries_the_status_that_decided_it(string note, string history, MentionStatus status)
    {
        var code = Assert.Single(Coder.Code(note, English).Codes);
        Assert.Equal(history, code.Code);
        Assert.Equal(status, code.Status);
    }

    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, null));

    [Theory]
    [InlineData("History of myocardial infarction in 2015.", Language.English)]
    [InlineData("Antecedentes personales de infarto agudo de miocardio.", Language.Spanish)]
    public void A_past_myocardial_infarction_is_the_old_infarction_code_the_history_code_excludes(string note, Language language)
    {
        // Z86.7 "Personal history of diseases of the circulatory system" excludes old myocardial infarction (I25.2).
        var code = Assert.Single(Shipped.Value.Code(note, new CodingOptions { Language = language }).Codes);
        Assert.Equal("I25.2", code.Code);
        Assert.Contains(code.Rules, r => r.StartsWith("personal-history:I21.9 → I25.2"));
    }

    [Fact]
    public void Another_past_circulatory_condition_keeps_its_personal_history_code()
    {
        var code = Assert.Single(Shipped.Value.Code("History of deep vein thrombosis.", English).Codes);
        Assert.Equal("Z86.718", code.Code);
    }

    [Fact]
    public void The_corpus_convention_codes_the_disease_as_written_and_no_history_code()
    {
        var result = Coder.Code("History of malignant neoplasm of kidney.", English with { CodeEveryMention = true });
        Assert.Equal(["C64.9"], Codes(result));
    }

    [Fact]
    public void A_current_condition_keeps_its_disease_code_and_a_negated_one_gets_no_history_code()
    {
        Assert.Equal(["C64.9"], Codes(Coder.Code("Malignant neoplasm of kidney, stage II.", English)));
        Assert.Empty(Coder.Code("No malignant neoplasm of kidney.", English).Codes);
        Assert.Empty(Coder.Code("Sin neumonía.", Spanish).Codes);
    }
}
