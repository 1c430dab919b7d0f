using Symphony.Coders.Rules;

namespace Symphony.Coders.Tests;

/// <summary>Status Z codes (Z79, Z90, Z94, Z95, Z96, Z99) where the note supports them, and the option that turns them off.</summary>
public class StatusCodeTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    // MTSamples sentences as transcribed, a Synthea medication list, and the example.
    [Theory]
    [InlineData("History of type 2 diabetes with diabetic CKD stage 3, on insulin.", "Z79.4")]
    [InlineData("Status post appendectomy.", "Z90.49")]
    [InlineData("Distant history of appendectomy.,9.", "Z90.49")]
    [InlineData("PAST SURGICAL HISTORY: , The patient has a past surgical history of appendectomy and hysterectomy.", "Z90.710")]
    [InlineData("LAST MENSTRUAL PERIOD: , Status post hysterectomy.", "Z90.710")]
    [InlineData("Coronary artery disease status post CABG x 5 in December 2001.,2.", "Z95.1")]
    [InlineData("She has had atrial fibrillation status post pacemaker.", "Z95.0")]
    [InlineData("Does have history of renal transplant, which has been followed by Dr.", "Z94.0")]
    [InlineData("Renal cell carcinoma - She is status post nephrectomy.,4.", "Z90.5")]
    [InlineData("MEDICATIONS: , Coumadin 5 mg daily, metformin 500 mg b.i.d.", "Z79.01")]
    [InlineData("MEDICATIONS: , Coumadin 5 mg daily, metformin 500 mg b.i.d.", "Z79.84")]
    [InlineData("# Medications\nacetaminophen 325 mg oral tablet; insulin isophane, human 70 unt/ml injectable suspension", "Z79.4")]
    [InlineData("She takes aspirin 81 mg daily.", "Z79.82")]
    [InlineData("He is on home oxygen 2 liters.", "Z99.81")]
    [InlineData("The patient is on hemodialysis three times a week.", "Z99.2")]
    public void A_status_the_note_supports_is_coded_with_its_evidence(string note, string expected)
    {
        var result = Shipped.Value.Code(note);
        var code = Assert.Single(result.Codes, c => c.Code == expected);
        Assert.Contains(code.Rules, r => r.StartsWith(StatusCodes.Name + ":"));
        Assert.All(code.Spans, s => Assert.Equal(note.Substring(s.Start, s.Length), s.Text));
        // A site that does not code status Z codes turns them off.
        Assert.DoesNotContain(Shipped.Value.Code(note, new CodingOptions { StatusCodes = false }).Codes, c => c.Code == expected);
    }

    [Theory]
    [InlineData("Aspirin 325 mg was given in the emergency room.", "Z79.82", "a drug not said to be taken long term")]
    [InlineData("No history of DVT, not on anticoagulation.", "Z79.01", "negated")]
    [InlineData("The appendectomy was performed without complication.", "Z90.49", "a procedure not said to be past")]
    [InlineData("Patient has a history of awaiting transplantation of kidney (situation).", "Z94.0", null)]
    [InlineData("Her father is on dialysis.", "Z99.2", "family")]
    public void A_status_the_note_does_not_support_is_not_coded(string note, string code, string? reason)
    {
        var result = Shipped.Value.Code(note);
        Assert.DoesNotContain(result.Codes, c => c.Code == code);
        if (reason is not null) Assert.Contains(result.Rejected, r => r.Code == code && r.Reason.Contains(reason));
    }

    [Fact]
    public void Type_1_diabetes_takes_no_long_term_insulin_code()
    {
        var codes = Shipped.Value.Code("Type 1 diabetes mellitus, on insulin.").Codes.Select(c => c.Code).ToList();
        Assert.Contains(codes, c => c.StartsWith("E10"));
        Assert.DoesNotContain("Z79.4", codes);
    }

    [Fact]
    public void Every_status_line_names_a_billable_code_of_the_shipped_code_system()
    {
        var status = new StatusCodes(ShippedCodeSystems.Icd10Cm.Value);
        Assert.True(status.Entries.Count >= 100, $"{status.Entries.Count} lines");
        foreach (var prefix in new[] { "Z79", "Z90", "Z94", "Z95", "Z99" })
            Assert.Contains(status.Entries, e => e.Code.StartsWith(prefix));
    }
}
