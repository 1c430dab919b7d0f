namespace Symphony.Coders.Tests;

/// <summary>The order of a note's codes: the principal (first-listed) diagnosis, then by the confidence, which says what it is made of.</summary>
public class RankingTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));
    static readonly CodingOptions Inpatient = new();
    static readonly CodingOptions Outpatient = new() { Setting = CareSetting.Outpatient };

    const string DischargeSummary = """
        DISCHARGE DIAGNOSES:
        1. Community acquired pneumonia.
        2. Type 2 diabetes mellitus.
        HISTORY OF PRESENT ILLNESS: A 67-year-old man with hypertension presented with cough and fever.
        FAMILY HISTORY: Mother had breast cancer.
        """;

    [Fact]
    public void The_first_diagnosis_listed_under_discharge_diagnoses_leads_an_inpatient_note()
    {
        var codes = Shipped.Value.Code(DischargeSummary, Inpatient).Codes;
        Assert.Equal("J18.9", codes[0].Code);
        Assert.True(codes[0].IsPrincipal);
        Assert.Equal("principal diagnosis (Section II): first listed under 'DISCHARGE DIAGNOSES'", codes[0].Basis!.Principal);
        Assert.Single(codes, c => c.IsPrincipal);
        // After it, the codes rank by their confidence.
        Assert.Equal(codes.Skip(1).OrderByDescending(c => c.Confidence).Select(c => c.Confidence), codes.Skip(1).Select(c => c.Confidence));
    }

    [Fact]
    public void An_outpatient_note_names_its_first_listed_diagnosis()
    {
        var codes = Shipped.Value.Code("CHIEF COMPLAINT: Cough.\nASSESSMENT: Acute bronchitis. Hypertension, well controlled.\n", Outpatient).Codes;
        Assert.Equal("J20.9", codes[0].Code);
        Assert.Equal("first-listed diagnosis (Section IV): first listed under 'ASSESSMENT'", codes[0].Basis!.Principal);
    }

    [Fact]
    public void A_symptom_does_not_lead_when_the_admission_sentence_names_a_diagnosis()
    {
        var codes = Shipped.Value.Code("She was admitted with chest pain and was found to have an acute non-ST elevation myocardial infarction. She also has hypertension.", Inpatient).Codes;
        Assert.Contains(codes, c => c.Code == "R07.9");
        Assert.Equal("I21.4", codes[0].Code);
        Assert.Equal("principal diagnosis (Section II): 'admitted with'", codes[0].Basis!.Principal);
    }

    [Fact]
    public void A_symptom_leads_when_it_is_all_the_admission_sentence_names()
    {
        var codes = Shipped.Value.Code("He was admitted for chest pain. He has hypertension and type 2 diabetes mellitus.", Inpatient).Codes;
        Assert.Equal("R07.9", codes[0].Code);
        Assert.True(codes[0].IsPrincipal);
    }

    [Fact]
    public void A_secondary_diagnosis_never_leads()
    {
        var codes = Shipped.Value.Code("SECONDARY DIAGNOSES:\n1. Essential hypertension.\n2. Type 2 diabetes mellitus.\n", Inpatient).Codes;
        Assert.Equal(["E11.9", "I10"], codes.Select(c => c.Code).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(codes, c => c.IsPrincipal);
        Assert.All(codes, c => Assert.Equal("secondary", c.Basis!.Section));
    }

    [Fact]
    public void A_family_history_code_never_leads()
    {
        var codes = Shipped.Value.Code("DIAGNOSES: Family history of breast cancer. Essential hypertension.\n", Inpatient).Codes;
        Assert.Contains(codes, c => c.Code == "Z80.3");
        Assert.Equal("I10", codes[0].Code);
        Assert.True(codes[0].IsPrincipal);
    }

    [Fact]
    public void Without_a_stated_reason_for_the_stay_no_code_leads_and_the_confidence_ranks()
    {
        var codes = Shipped.Value.Code("A 70-year-old woman with hypertension, atrial fibrillation and chronic kidney disease.", Inpatient).Codes;
        Assert.True(codes.Count >= 2);
        Assert.DoesNotContain(codes, c => c.IsPrincipal);
        Assert.Equal(codes.OrderByDescending(c => c.Confidence).Select(c => c.Code), codes.Select(c => c.Code));
    }

    [Fact]
    public void The_confidence_says_what_it_is_made_of()
    {
        var codes = Shipped.Value.Code(DischargeSummary, Inpatient).Codes;
        var diabetes = codes.Single(c => c.Code == "E11.9").Basis!;
        Assert.Equal(("synonym", 0.7, 1, "final", "affirmed"), (diabetes.Match, diabetes.MatchWeight, diabetes.Mentions, diabetes.Section, diabetes.Certainty));
        Assert.Empty(diabetes.Weakened);
        var family = codes.Single(c => c.Code == "Z80.3");
        Assert.Equal(("family", "family"), (family.Basis!.Section, family.Basis.Certainty));
        // The same kind of match stated in the discharge diagnoses outranks one in the family history.
        Assert.True(codes.Single(c => c.Code == "E11.9").Confidence > family.Confidence);
        Assert.Contains("unspecified title", codes.Single(c => c.Code == "J18.9").Basis!.Weakened);
        Assert.Equal("synonym match (0.70), 1 mention, section final, affirmed", diabetes.ToString());
    }

    [Fact]
    public void A_combination_code_says_it_combines_two_codes_the_note_supports()
    {
        var combined = Shipped.Value.Code("Essential hypertension with chronic kidney disease stage 3.", Inpatient).Codes.Single(c => c.Code == "I12.9");
        Assert.Equal(("combination", 2), (combined.Basis!.Match, combined.Basis.Mentions));
    }

    [Fact]
    public void Words_said_apart_weigh_less_than_the_same_words_together()
    {
        var together = Shipped.Value.Code("Non-ST elevation myocardial infarction.", Inpatient).Codes.Single(c => c.Code == "I21.4");
        var apart = Shipped.Value.Code("Non-ST elevation inferior myocardial infarction.", Inpatient).Codes.Single(c => c.Code == "I21.4");
        Assert.Contains("words apart", apart.Basis!.Weakened);
        Assert.True(together.Confidence > apart.Confidence);
    }
}
