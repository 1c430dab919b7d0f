namespace Symphony.Coders.Tests;

/// <summary>A section heading names a part of the note ("ALLERGIES:"); what the note says under it is what is coded.</summary>
public class SectionHeadingTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    [Theory]
    // MTSamples headings, as the transcriptions write them
    [InlineData("PAST MEDICAL HISTORY: Hypertension.,ALLERGIES:,  None.,SOCIAL HISTORY: She lives alone.")]
    [InlineData("MEDICATIONS: Aspirin.,ALLERGIES TO MEDICATIONS: , No known drug allergies.,REVIEW OF SYSTEMS: Negative.")]
    public void A_heading_word_is_not_coded_and_the_rejection_names_the_heading(string note)
    {
        var result = Shipped.Value.Code(note, new CodingOptions { Setting = CareSetting.Inpatient });

        Assert.DoesNotContain(result.Codes, c => c.Code.StartsWith("T78.4", StringComparison.Ordinal));
        Assert.Contains(result.Rejected, r => r.Reason.StartsWith("section heading: 'ALLERGIES", StringComparison.Ordinal));
    }

    [Fact]
    public void A_condition_named_in_the_text_under_a_heading_is_still_coded()
    {
        var result = Shipped.Value.Code("ALLERGIES: Seasonal allergic rhinitis.,ASSESSMENT: Hypertension.", new CodingOptions { Setting = CareSetting.Inpatient });

        Assert.Contains(result.Codes, c => c.Code.StartsWith("J30", StringComparison.Ordinal));
        Assert.Contains(result.Codes, c => c.Code == "I10");
    }
}
