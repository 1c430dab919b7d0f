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

    [Theory]
    [InlineData("Paciente portador de marcapasos desde 2010.", "Z95.0")]
    [InlineData("Insuficiencia renal crónica en hemodiálisis.", "Z99.2")]
    [InlineData("Antecedentes de apendicectomía.", "Z90.49")]
    [InlineData("Diabetes mellitus tipo 2, en tratamiento habitual con insulina.", "Z79.4")]
    public void A_spanish_note_gets_its_status_codes_too(string note, string expected) =>
        Assert.Contains(Shipped.Value.Code(note, new CodingOptions { Language = Text.Language.Spanish }).Codes, c => c.Code == expected);

    [Fact]
    public void A_drug_given_once_in_a_spanish_case_report_is_no_long_term_therapy() =>
        Assert.DoesNotContain(Shipped.Value.Code("Se trató con prednisona durante cinco días.", new CodingOptions { Language = Text.Language.Spanish }).Codes, c => c.Code == "Z79.52");

    [Fact]
    public void A_site_lexicon_adds_to_the_status_table_and_replaces_it_only_for_the_codes_it_has_entries_for()
    {
        var options = new CodingOptions { Language = Text.Language.Spanish };
        const string appendix = "Antecedentes de apendicectomía.";
        Assert.Contains(Shipped.Value.Code(appendix, options).Codes, c => c.Code == "Z90.49");
        var site = Shipped.Value.WithSiteLexicon([new Lexicon.SiteLexiconEntry("marcapasos", Lexicon.CodeSystems.Icd10Cm, "Z95.0", Text.Language.Spanish, 0.9)]);
        Assert.Contains(site.Code("Portador de marcapasos.", options).Codes, c => c.Code == "Z95.0");
        Assert.Contains(site.Code(appendix, options).Codes, c => c.Code == "Z90.49");
        // A site that decided how it writes Z90.49 (here: its coders did not give it for these words) is read with its own entries.
        var decided = Shipped.Value.WithSiteLexicon([new Lexicon.SiteLexiconEntry("apendicectomía previa", Lexicon.CodeSystems.Icd10Cm, "Z90.49", Text.Language.Spanish, 0)]);
        Assert.DoesNotContain(decided.Code(appendix, options).Codes, c => c.Code == "Z90.49");
    }

    [Theory]
    [InlineData("He takes enoxaparin daily.", "Z79.01")]
    [InlineData("On Decadron 4 mg daily.", "Z79.52")]
    [InlineData("Takes diclofenac for knee pain.", "Z79.1")]
    [InlineData("Chronic pain, on hydromorphone.", "Z79.891")]
    public void A_drug_of_the_table_of_drugs_in_a_long_term_class_is_read_from_the_terminology(string note, string expected)
    {
        var status = new StatusCodes(ShippedCodeSystems.Icd10Cm.Value);
        var word = note.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('.', ',').ToLowerInvariant()).First(w => status.Entries.Any(e => e.Phrase == w));
        // Not a curated line: the name comes from the Table of Drugs.
        Assert.DoesNotContain(Text.LanguageData.ReadLines("status-codes-en.tsv"), l => l.Split('\t')[1] == word);
        Assert.Contains(Shipped.Value.Code(note).Codes, c => c.Code == expected);
    }

    [Fact]
    public void A_drug_table_word_the_classification_uses_for_anatomy_or_disease_is_no_drug_phrase()
    {
        var status = new StatusCodes(ShippedCodeSystems.Icd10Cm.Value);
        Assert.DoesNotContain(status.Entries, e => e.Phrase == "adrenal");
        Assert.Contains(status.Entries, e => e.Phrase == "enoxaparin" && e.Code == "Z79.01");
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

    // MTSamples 3883 (office visit, written on one line), as transcribed.
    const string OneLineNote = "FAMILY HISTORY: , Positive for coronary artery disease (father & brother).,MEDICATIONS: , Aspirin 81 milligrams QDay.  Humulin N. insulin 50 units in a.m.  HCTZ 50 mg QDay.,ALLERGIES: , Penicillin.";

    [Fact]
    public void A_drug_under_a_medication_header_of_a_one_line_transcription_is_taken_long_term_and_not_a_relatives()
    {
        var result = Shipped.Value.Code(OneLineNote, new CodingOptions { Setting = CareSetting.Outpatient });
        Assert.Contains(result.Codes, c => c.Code == "Z79.82" && c.Rules.Any(r => r.Contains("in a medication list")));
        Assert.Contains(result.Codes, c => c.Code == "Z82.49");
    }

    [Fact]
    public void A_drug_under_an_allergy_header_is_not_long_term_therapy()
    {
        // MTSamples, as transcribed: "ALLERGIES: , Aspirin."
        var result = Shipped.Value.Code("MEDICATIONS: , Lisinopril 10 mg daily.,ALLERGIES: , Aspirin.", new CodingOptions { Setting = CareSetting.Outpatient });
        Assert.DoesNotContain(result.Codes, c => c.Code == "Z79.82");
        Assert.True(StatusCodes.IsMedicationHeading("DISCHARGE MEDICATIONS", Symphony.Coders.Text.Language.English));
        Assert.False(StatusCodes.IsMedicationHeading("ALLERGIES TO MEDICATIONS", Symphony.Coders.Text.Language.English));
    }
}
