using Symphony.Coders.Context;

namespace Symphony.Coders.Tests;

/// <summary>The status reported with a code is the one that decided it: a code is never reported from a negated mention.</summary>
public class StatusTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    [Fact]
    public void An_uncertain_diagnosis_coded_for_an_inpatient_is_reported_as_uncertain_not_negated()
    {
        var result = Shipped.Value.Code("Possible early COPD exacerbation.", new CodingOptions { Setting = CareSetting.Inpatient });
        var code = Assert.Single(result.Codes, c => c.Code == "J44.1");
        Assert.Equal(MentionStatus.Uncertain, code.Status);
        Assert.Contains("uncertain diagnosis coded as established (inpatient)", code.Rules);
    }

    [Fact]
    public void An_affirmed_mention_beside_an_uncertain_one_reports_the_code_as_affirmed()
    {
        var code = Assert.Single(Shipped.Value.Code("Possible pneumonia. Chest X-ray confirms pneumonia.").Codes, c => c.Code == "J18.9");
        Assert.Equal(MentionStatus.Affirmed, code.Status);
    }

    public static TheoryData<CareSetting> Settings => new() { CareSetting.Inpatient, CareSetting.Outpatient };

    [Theory]
    [MemberData(nameof(Settings))]
    public void No_code_of_many_transcribed_sentences_is_reported_with_a_negated_status(CareSetting setting)
    {
        var sentences = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "fixtures", "mtsamples-context-sentences.txt"));
        Assert.True(sentences.Length >= 1000);
        var options = new CodingOptions { Setting = setting };
        var coded = 0;
        var negatedRejections = 0;
        foreach (var sentence in sentences)
        {
            var result = Shipped.Value.Code(sentence, options);
            coded += result.Codes.Count;
            negatedRejections += result.Rejected.Count(r => r.Reason.StartsWith("negated:"));
            var negated = result.Codes.FirstOrDefault(c => c.Status == MentionStatus.Negated);
            Assert.True(negated is null, $"{negated?.Code} reported as negated in: {sentence}");
        }
        // The sentences do code, and do negate: the check above is not vacuous.
        Assert.True(coded > 300, $"{coded} codes");
        Assert.True(negatedRejections > 200, $"{negatedRejections} negated mentions");
    }
}
