using Symphony.Coders.Rules;

namespace Symphony.Coders.Tests;

/// <summary>
/// What real coding reports: no sign or symptom beside the diagnosis that explains it (guidelines I.B.4–I.B.5), ICD-10-PCS
/// for inpatient stays only and only significant procedures (UHDDS), a partial PCS code completed from the stated approach,
/// the side written before a mention, and "Negative X" in a review of systems. On MTSamples text as transcribed.
/// </summary>
public class ReportingRuleTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    // MTSamples 3760 "Ear Pain - Drainage" (office visit), as transcribed.
    const string EarPain = "CHIEF COMPLAINT:,  Right ear pain with drainage.,HISTORY OF PRESENT ILLNESS:,  This is a 12-year-old white male here with his mother for complaints of his right ear hurting.  Mother states he has been complaining for several days.  A couple of days ago she noticed drainage from the right ear.  He has had some low-grade fever.  The patient was seen in the office about a week ago with complaints of a sore throat, headache and fever.,ASSESSMENT:,1.  Right otitis media.,2.  Right otorrhea.,PLAN:,  Ceftin 250 mg by mouth twice a day for 10 days.";

    [Fact]
    public void A_symptom_named_only_in_the_history_of_present_illness_is_not_coded_beside_the_assessed_diagnosis()
    {
        var result = Shipped.Value.Code(EarPain, new CodingOptions { Setting = CareSetting.Outpatient });
        Assert.Contains(result.Codes, c => c.Code == "H66.91");
        Assert.DoesNotContain(result.Codes, c => c.Code is "R50.9" or "R51.9");
        Assert.Contains(result.Rejected, r => r.Code == "R50.9" && r.Reason.StartsWith(IntegralSymptoms.Name, StringComparison.Ordinal) && r.Reason.Contains("H66.91"));
    }

    [Fact]
    public void A_symptom_the_diagnostic_statement_lists_is_coded()
    {
        // MTSamples 3760 with the fever moved into the assessment.
        var note = EarPain.Replace("2.  Right otorrhea.", "2.  Fever.");
        var result = Shipped.Value.Code(note, new CodingOptions { Setting = CareSetting.Outpatient });
        Assert.Contains(result.Codes, c => c.Code == "R50.9");
    }

    [Fact]
    public void Without_a_diagnostic_statement_the_symptoms_stay()
    {
        // The history of present illness alone: the note does not say which findings a diagnosis explains.
        var note = EarPain[..EarPain.IndexOf(",ASSESSMENT:", StringComparison.Ordinal)] + " Exam showed right otitis media.";
        var result = Shipped.Value.Code(note, new CodingOptions { Setting = CareSetting.Outpatient });
        Assert.Contains(result.Codes, c => c.Code == "R50.9");
    }

    [Fact]
    public void Under_the_corpus_convention_every_symptom_is_coded()
    {
        var result = Shipped.Value.Code(EarPain, new CodingOptions { CodeEveryMention = true });
        Assert.Contains(result.Codes, c => c.Code == "R50.9");
    }

    [Fact]
    public void A_side_written_before_the_condition_codes_the_sided_code()
    {
        var result = Shipped.Value.Code(EarPain, new CodingOptions { Setting = CareSetting.Outpatient });
        Assert.Contains(result.Codes, c => c.Code == "H92.11" && c.Rules.Any(r => r.StartsWith(LateralityRule.Name, StringComparison.Ordinal)));
        Assert.DoesNotContain(result.Codes, c => c.Code is "H66.90" or "H92.10");
    }

    // MTSamples 622 (procedure line) and 27 (EKG), as transcribed, in an inpatient operative note.
    const string Appendectomy = "PREOPERATIVE DIAGNOSIS: , Acute appendicitis.,POSTOPERATIVE DIAGNOSIS:,  Acute appendicitis.,PROCEDURE PERFORMED:,  Laparoscopic appendectomy.,HISTORY:,  A chest x-ray was normal.  EKG was normal.";

    [Fact]
    public void An_inpatient_stay_reports_the_operation_completed_from_its_approach_and_not_the_diagnostic_tests()
    {
        var result = Shipped.Value.Code(Appendectomy, new CodingOptions { Setting = CareSetting.Inpatient });
        var procedure = Assert.Single(result.Procedures);
        Assert.Equal("0DTJ4ZZ", procedure.Code);
        Assert.Contains(procedure.Rules, r => r.StartsWith("pcs-approach:0DTJ→0DTJ4ZZ", StringComparison.Ordinal));
        Assert.Contains(result.Rejected, r => r.Code == "BW03ZZZ" && r.Reason.StartsWith(ProcedureReporting.Name, StringComparison.Ordinal));
        Assert.Contains(result.Rejected, r => r.Code.StartsWith("4A02", StringComparison.Ordinal) && r.Reason.Contains("section 4"));
    }

    [Fact]
    public void An_outpatient_visit_gets_no_icd10pcs_code()
    {
        var result = Shipped.Value.Code(Appendectomy, new CodingOptions { Setting = CareSetting.Outpatient });
        Assert.Empty(result.Procedures);
        Assert.Contains(result.Rejected, r => r.Code.StartsWith("0DTJ", StringComparison.Ordinal) && r.Reason.Contains("CPT/HCPCS"));
    }

    [Fact]
    public void The_corpus_convention_keeps_every_procedure_as_named()
    {
        var result = Shipped.Value.Code(Appendectomy, new CodingOptions { CodeEveryMention = true, Setting = CareSetting.Outpatient });
        Assert.Contains(result.Procedures, c => c.Code == "0DTJ");
        Assert.Contains(result.Procedures, c => c.Code == "BW03ZZZ");
    }

    [Fact]
    public void A_biopsy_completed_from_its_approach_takes_the_diagnostic_qualifier()
    {
        // MTSamples 4279 (consultation), as transcribed.
        const string note = "He was admitted on January 18, 2008, with recurrent malignant pleural effusion.  On the same day, he underwent VATS and thoracoscopic drainage of the pleural effusion with right pleural nodule biopsy, lysis of adhesions, and directed talc insufflation by Dr. X.";
        var result = Shipped.Value.Code(note, new CodingOptions { Setting = CareSetting.Inpatient });
        Assert.Contains(result.Procedures, c => c.Code == "0BBN4ZX");
    }

    [Fact]
    public void A_partial_code_is_left_out_when_the_options_say_so()
    {
        const string note = "PROCEDURE PERFORMED: Appendectomy.";
        Assert.Contains(Shipped.Value.Code(note).Procedures, c => c.Code == "0DTJ");
        var without = Shipped.Value.Code(note, new CodingOptions { PartialProcedures = false });
        Assert.Empty(without.Procedures);
        Assert.Contains(without.Rejected, r => r.Code == "0DTJ" && r.Reason.Contains("partial code"));
    }

    [Fact]
    public void Negative_findings_of_a_review_of_systems_are_not_coded()
    {
        // MTSamples 2461 "Review of Systems", as transcribed.
        const string note = "REVIEW OF SYSTEMS,GENERAL:  Negative weakness, negative fatigue, native malaise, negative chills, negative fever, negative night sweats, negative allergies.,CARDIOVASCULAR:  Negative chest pain, negative dyspnea on exertion, negative palpations, negative edema.";
        var result = Shipped.Value.Code(note, new CodingOptions { Setting = CareSetting.Outpatient });
        Assert.DoesNotContain(result.Codes, c => c.Code is "R53.1" or "R53.83" or "R50.9" or "R61" or "R07.9" or "R06.09" or "R60.9");
        Assert.Contains(result.Rejected, r => r.Code == "R07.9" && r.Reason.StartsWith("negated", StringComparison.Ordinal));
    }
}
