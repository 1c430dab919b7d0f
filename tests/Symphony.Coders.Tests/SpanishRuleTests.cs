using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

/// <summary>The context and coding rules on Spanish clinical sentences (the English ones are in <see cref="CoderTests"/>).</summary>
public class SpanishRuleTests
{
    static readonly Coder Coder = new(SmallCodeSystem.Create(), null, sources: TermSources.Default | TermSources.NoSynonyms);
    static readonly CodingOptions Inpatient = new() { Language = Language.Spanish };
    static readonly CodingOptions Outpatient = new() { Language = Language.Spanish, Setting = CareSetting.Outpatient };

    static string[] Codes(CodingResult result) => result.Codes.Select(c => c.Code).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void A_negated_mention_is_rejected_with_its_trigger()
    {
        var result = Coder.Code("No se observa neumonía.", Inpatient);
        Assert.Empty(result.Codes);
        Assert.Contains(result.Rejected, r => r.Code == "J18.9" && r.Reason == "negated: 'No se observa'");
    }

    [Fact]
    public void An_uncertain_diagnosis_is_coded_for_an_inpatient_but_not_for_an_outpatient()
    {
        const string note = "Probable neumonía.";
        Assert.Equal(["J18.9"], Codes(Coder.Code(note, Inpatient)));
        Assert.Contains(Coder.Code(note, Outpatient).Rejected, r => r.Code == "J18.9" && r.Reason.StartsWith("uncertain diagnosis, outpatient"));
    }

    [Fact]
    public void A_category_mention_goes_to_its_unspecified_billable_child()
    {
        Assert.Equal(["N18.9"], Codes(Coder.Code("Enfermedad renal crónica conocida.", Inpatient)));
    }

    [Fact]
    public void The_seventh_character_follows_the_episode_the_sentence_states()
    {
        Assert.Equal(["S72.001A"], Codes(Coder.Code("Fractura del cuello del fémur derecho tras una caída.", Inpatient)));
        Assert.Equal(["S72.001S"], Codes(Coder.Code("Secuelas de fractura del cuello del fémur derecho.", Inpatient)));
    }

    [Fact]
    public void Type_2_diabetes_with_chronic_kidney_disease_becomes_the_combination_code_plus_the_stage()
    {
        var result = Coder.Code("Diabetes mellitus tipo 2. Enfermedad renal crónica estadio 3.", Inpatient);
        Assert.Equal(["E11.22", "N18.3"], Codes(result));
        Assert.Contains(result.Rejected, r => r.Code == "E11.9" && r.Reason.StartsWith("combined into E11.22"));
    }

    [Fact]
    public void Hypertension_with_heart_failure_becomes_hypertensive_heart_disease_with_heart_failure()
    {
        Assert.Equal(["I11.0", "I50.9"], Codes(Coder.Code("Hipertensión esencial e insuficiencia cardiaca.", Inpatient)));
    }

    [Fact]
    public void Excludes1_pairs_keep_the_better_supported_code()
    {
        var result = Coder.Code("Cólico renal. Nuevo cólico renal por la noche. Cólico.", Inpatient);
        Assert.Equal(["N23"], Codes(result));
        Assert.Contains(result.Rejected, r => r.Code == "R10.83" && r.Reason == "Excludes1 with N23");
    }

    [Fact]
    public void A_term_whose_words_lie_in_different_clauses_is_not_matched()
    {
        Assert.DoesNotContain("N23", Codes(Coder.Code("Función renal normal, cólico desde esta mañana.", Inpatient)));
        Assert.Contains("N23", Codes(Coder.Code("Cólico, renal, desde esta mañana.", Inpatient)));
    }
}
