using Symphony.Coders.Context;
using Symphony.Coders.Rules;

namespace Symphony.Coders.Tests;

/// <summary>Guidelines I.C.21.c.4: "history of" a chronic condition still present is the condition, coded as current.</summary>
public class ChronicConditionTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    // Sentences of MTSamples transcriptions and a Synthea note, as written.
    [Theory]
    [InlineData("History of COPD.", "J44.9")]
    [InlineData("History of atrial fibrillation.", "I48.91")]
    [InlineData("History of congestive heart failure.", "I50.9")]
    [InlineData("History of coronary artery disease.", "I25.10")]
    [InlineData("He has a history of HIV for 21 years.", "B20")]
    [InlineData("History of hypothyroidism.", "E03.9")]
    [InlineData("The patient has a history of epilepsy and has also had non-epileptic events in the past.", "G40.909")]
    [InlineData("Reported history of asthma.", "J45.909")]
    [InlineData("She also has a history of glaucoma diagnosed in 1990 and macular degeneration.", "H40.9")]
    [InlineData("History of gastroesophageal reflux disease, controlled with medications.", "K21.9")]
    [InlineData("Patient has a history of chronic kidney disease stage 1 (disorder), full-time employment (finding), stress (finding).", "N18.1")]
    [InlineData("In brief, the patient is a  64-year-old male with history of diabetes, who presented with 6 hours of chest pressure.", "E11.9")]
    [InlineData("PAST MEDICAL HISTORY: , History of hypertension.", "I10")]
    [InlineData("She has a history of bipolar disorder and has been diagnosed at times with schizophrenia.", "F31.9")]
    [InlineData("This patient is a 57-year old white Cuban woman with a long history of rheumatoid arthritis.", "M06.9")]
    public void History_of_a_chronic_condition_codes_the_condition_as_current(string note, string expected)
    {
        var result = Shipped.Value.Code(note, new CodingOptions { Setting = CareSetting.Outpatient });
        var code = Assert.Single(result.Codes, c => c.Code == expected);
        Assert.Equal(MentionStatus.Affirmed, code.Status);
        Assert.Contains(code.Rules, r => r.StartsWith(ChronicConditions.Name + ":") && r.Contains("I.C.21.c.4"));
        // No personal-history code for a condition still present.
        Assert.DoesNotContain(result.Rejected, r => r.Code == expected);
    }

    [Fact]
    public void History_of_type_2_diabetes_with_diabetic_CKD_stage_3_on_insulin_gives_the_combination_and_the_stage()
    {
        var codes = Shipped.Value.Code("History of type 2 diabetes with diabetic CKD stage 3, on insulin.").Codes.Select(c => c.Code).ToList();
        Assert.Contains("E11.22", codes);
        Assert.Contains("N18.30", codes);
        Assert.DoesNotContain("Z86.39", codes);
    }

    [Fact]
    public void A_chronic_condition_the_note_says_ended_keeps_its_personal_history_code()
    {
        var result = Shipped.Value.Code("History of asthma as a child, which he outgrew.");
        Assert.DoesNotContain(result.Codes, c => c.Code.StartsWith("J45"));
        Assert.Contains(result.Codes, c => c.Code == "Z87.09" && c.Status == MentionStatus.History);
    }

    [Fact]
    public void A_condition_that_ends_is_not_in_the_chronic_table()
    {
        Assert.Equal("diabetes mellitus", ChronicConditions.Condition("E11.22"));
        Assert.Equal("chronic kidney disease", ChronicConditions.Condition("N18.30"));
        Assert.Null(ChronicConditions.Condition("C18.9"));
        Assert.Null(ChronicConditions.Condition("I21.9"));
        Assert.Null(ChronicConditions.Condition("J18.9"));
    }
}
