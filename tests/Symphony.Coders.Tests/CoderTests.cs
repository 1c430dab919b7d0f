using Symphony.Coders.Context;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

public class CoderTests
{
    static readonly Coder Coder = new(SmallCodeSystem.Create(), null, sources: TermSources.Default | TermSources.NoSynonyms);
    static readonly CodingOptions Inpatient = new();
    static readonly CodingOptions Outpatient = new() { Setting = CareSetting.Outpatient };
    /// <summary>The shipped ICD-10-CM/PCS, for site phrases of codes the small slice does not have (a coder uses no entry of a code it lacks).</summary>
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value, null, TermSources.Default | TermSources.NoSynonyms));

    static string[] Codes(CodingResult result) => result.Codes.Select(c => c.Code).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Every_code_has_spans_that_quote_the_note()
    {
        const string note = "Patient with pyrexia and renal colic.\nHigh blood pressure.";
        var result = Coder.Code(note, Inpatient);
        Assert.Equal(["I10", "N23", "R50.9"], Codes(result));
        foreach (var code in result.Codes)
            foreach (var span in code.Spans)
                Assert.Equal(note.Substring(span.Start, span.Length), span.Text);
        Assert.Equal("renal colic", result.Codes.Single(c => c.Code == "N23").Spans[0].Text);
    }

    [Fact]
    public void Word_order_within_a_phrase_does_not_matter()
    {
        Assert.Equal(["N23"], Codes(Coder.Code("Colic, renal, on the right side.", Inpatient)));
    }

    [Fact]
    public void A_term_whose_words_lie_in_different_clauses_is_not_matched()
    {
        // "renal" and "colic" are said of different things here; side by side across a comma they are one inverted name (above).
        Assert.DoesNotContain("N23", Codes(Coder.Code("Renal function normal, colic since this morning.", Inpatient)));
        Assert.Contains("N23", Codes(Coder.Code("Renal function normal with colic.", Inpatient)));
    }

    [Fact]
    public void A_shorter_quote_inside_a_longer_phrase_of_the_same_code_is_the_same_mention()
    {
        var site = Shipped.Value.WithSiteLexicon([
            new SiteLexiconEntry("hipertensión", CodeSystems.Icd10Cm, "I10", Language.Spanish, 0.9),
            new SiteLexiconEntry("hipertensión arterial", CodeSystems.Icd10Cm, "I10", Language.Spanish, 0.9),
            new SiteLexiconEntry("incontinencia", CodeSystems.Icd10Cm, "R32", Language.Spanish, 0.9),
            new SiteLexiconEntry("incontinencia urinaria", CodeSystems.Icd10Cm, "R32", Language.Spanish, 0.9)]);
        var result = site.Code("Hipertensión arterial. Urgencia urinaria e incontinencia.", new CodingOptions { Language = Language.Spanish });
        Assert.Equal(["Hipertensión arterial"], result.Codes.Single(c => c.Code == "I10").Spans.Select(s => s.Text));
        // "urinaria e incontinencia" joins two findings: not one phrase, so "incontinencia" keeps its own quote.
        Assert.Equal(["incontinencia", "urinaria e incontinencia"], result.Codes.Single(c => c.Code == "R32").Spans.Select(s => s.Text).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_english_quote_inside_a_longer_phrase_of_the_same_code_is_the_same_mention()
    {
        var site = Coder.WithSiteLexicon([
            new SiteLexiconEntry("hypertension", CodeSystems.Icd10Cm, "I10", Language.English, 0.9),
            new SiteLexiconEntry("arterial hypertension", CodeSystems.Icd10Cm, "I10", Language.English, 0.9)]);
        var code = site.Code("Treated for arterial hypertension.").Codes.Single(c => c.Code == "I10");
        Assert.Equal(["arterial hypertension"], code.Spans.Select(s => s.Text));
    }

    [Fact]
    public void A_site_procedure_inside_a_longer_one_from_the_same_table_is_less_specific_but_a_nested_diagnosis_is_kept()
    {
        var site = Shipped.Value.WithSiteLexicon([
            new SiteLexiconEntry("TAC abdominal", CodeSystems.Icd10Pcs, "BW20", Language.Spanish, 0.9),
            new SiteLexiconEntry("TAC tóraco-abdominal", CodeSystems.Icd10Pcs, "BW24", Language.Spanish, 0.9),
            new SiteLexiconEntry("dolor", CodeSystems.Icd10Cm, "R52", Language.Spanish, 0.9),
            new SiteLexiconEntry("dolor lumbar", CodeSystems.Icd10Cm, "M54.5", Language.Spanish, 0.9)]);
        // Every mention as written, the CodiEsp convention (as a site lexicon is measured): real coding reports no imaging (ReportingRuleTests).
        var result = site.Code("TAC tóraco-abdominal por dolor lumbar.", new CodingOptions { Language = Language.Spanish, CodeEveryMention = true, ResolveExcludes1 = false, ApplyCombinations = false });
        Assert.True(new[] { "BW24", "M54.5", "R52" }.All(Codes(result).Contains), string.Join(" | ", Codes(result)) + " // " + string.Join(" | ", result.Rejected.Select(r => $"{r.Code} {r.Reason}"))); // the site codes "dolor" inside "dolor lumbar" too
        Assert.DoesNotContain("BW20", Codes(result));
        Assert.Contains(result.Rejected, r => r.Code == "BW20" && r.Reason.StartsWith("less specific than 'TAC tóraco-abdominal'"));
    }

    [Fact]
    public void A_longer_term_wins_over_the_shorter_term_inside_it_and_the_shorter_is_rejected_with_the_reason()
    {
        var result = Coder.Code("She presented with renal colic.", Inpatient);
        Assert.Equal(["N23"], Codes(result));
        Assert.Contains(result.Rejected, r => r.Code == "R10.83" && r.Reason.Contains("less specific"));
    }

    [Fact]
    public void Negated_mentions_are_rejected_with_the_trigger_as_reason()
    {
        var result = Coder.Code("No evidence of pneumonia.", Inpatient);
        Assert.Empty(result.Codes);
        Assert.Contains(result.Rejected, r => r.Code == "J18.9" && r.Reason == "negated: 'No evidence of'");
    }

    [Fact]
    public void Uncertain_diagnoses_are_coded_for_inpatients_but_not_for_outpatients()
    {
        const string note = "Probable pneumonia.";
        Assert.Equal(["J18.9"], Codes(Coder.Code(note, Inpatient)));
        var outpatient = Coder.Code(note, Outpatient);
        Assert.Empty(outpatient.Codes);
        Assert.Contains(outpatient.Rejected, r => r.Code == "J18.9" && r.Reason.StartsWith("uncertain diagnosis, outpatient"));
    }

    [Fact]
    public void History_and_family_history_are_not_coded_as_current_conditions()
    {
        var result = Coder.Code("History of pneumonia. Family history of high blood pressure.", Inpatient);
        Assert.Equal(["Z87.01"], Codes(result)); // the personal-history code; no family-history title names hypertension
        Assert.Contains(result.Rejected, r => r.Code == "J18.9" && r.Reason.StartsWith("history of"));
        Assert.Contains(result.Rejected, r => r.Code == "I10" && r.Reason.StartsWith("family history"));
    }

    [Fact]
    public void Coding_every_mention_keeps_negated_ones_with_their_status()
    {
        var result = Coder.Code("No evidence of pneumonia.", Inpatient with { CodeEveryMention = true });
        Assert.Equal(MentionStatus.Negated, Assert.Single(result.Codes).Status);
    }

    [Fact]
    public void A_category_mention_goes_to_its_unspecified_billable_child()
    {
        var result = Coder.Code("Known chronic kidney disease.", Inpatient);
        var ckd = Assert.Single(result.Codes);
        Assert.Equal("N18.9", ckd.Code);
    }

    [Fact]
    public void The_words_of_a_term_spread_over_more_than_two_words_each_plus_two_do_not_match_it()
    {
        Assert.Equal(["R10.83"], Codes(Coder.Code("Renal function was normal and the pain was a colic.", Inpatient with { ResolveExcludes1 = false })));
        Assert.Equal(["N23"], Codes(Coder.Code("Colic of the right renal area.", Inpatient)));
    }

    [Fact]
    public void The_seventh_character_follows_the_episode_the_sentence_states()
    {
        Assert.Equal(["S72.001A"], Codes(Coder.Code("Fracture of neck of right femur after a fall.", Inpatient)));
        var sequela = Coder.Code("Sequela of fracture of neck of right femur.", Inpatient);
        var code = Assert.Single(sequela.Codes);
        Assert.Equal("S72.001S", code.Code);
        Assert.Contains(code.Rules, r => r.StartsWith("seventh-character:S"));
    }

    [Fact]
    public void Type_2_diabetes_with_chronic_kidney_disease_becomes_the_combination_code_plus_the_stage()
    {
        var result = Coder.Code("Type 2 diabetes mellitus. Chronic kidney disease stage 3.", Inpatient);
        Assert.Equal(["E11.22", "N18.3"], Codes(result));
        Assert.Contains(result.Codes.Single(c => c.Code == "E11.22").Rules, r => r.StartsWith("combination:diabetes-with-ckd"));
        Assert.Contains(result.Rejected, r => r.Code == "E11.9" && r.Reason.StartsWith("combined into E11.22"));
    }

    [Fact]
    public void A_number_only_counts_next_to_the_words_it_qualifies()
    {
        // "2" belongs to "type 2", so it must not make "chronic kidney disease" stage 2 (or stage 3 from "3 days").
        var result = Coder.Code("Type 2 diabetes mellitus and chronic kidney disease for 3 days.", Inpatient with { ApplyCombinations = false });
        Assert.Equal(["E11.9", "N18.9"], Codes(result));
    }

    [Fact]
    public void Hypertension_with_heart_failure_becomes_hypertensive_heart_disease_with_heart_failure()
    {
        var result = Coder.Code("Essential hypertension and heart failure.", Inpatient);
        Assert.Equal(["I11.0", "I50.9"], Codes(result));
    }

    [Fact]
    public void Hypertension_with_chronic_kidney_disease_becomes_hypertensive_ckd()
    {
        Assert.Equal(["I12.9", "N18.9"], Codes(Coder.Code("High blood pressure. Chronic kidney disease.", Inpatient)));
    }

    [Fact]
    public void Excludes1_pairs_keep_the_better_supported_code()
    {
        // Colic (R10.83) excludes renal colic (N23): in different sentences both match; the rule keeps one.
        var result = Coder.Code("Renal colic. Renal colic again overnight. Colic.", Inpatient);
        Assert.Equal(["N23"], Codes(result));
        Assert.Contains(result.Rejected, r => r.Code == "R10.83" && r.Reason == "Excludes1 with N23");
        var without = Coder.Code("Renal colic. Renal colic again overnight. Colic.", Inpatient with { ResolveExcludes1 = false });
        Assert.Equal(["N23", "R10.83"], Codes(without));
    }

    [Fact]
    public void A_site_lexicon_changes_results_immediately()
    {
        const string note = "Crisis renoureteral derecha.";
        var spanish = new CodingOptions { Language = Language.Spanish };
        Assert.Empty(Coder.Code(note, spanish).Codes);
        var site = Coder.WithSiteLexicon([new SiteLexiconEntry("crisis renoureteral", CodeSystems.Icd10Cm, "N23", Language.Spanish)]);
        var code = Assert.Single(site.Code(note, spanish).Codes);
        Assert.Equal("N23", code.Code);
        Assert.Equal("Crisis renoureteral derecha", code.Spans[0].Text); // the side stated right after belongs to the evidence
        Assert.Equal("Unspecified renal colic", code.Display);
    }

    [Fact]
    public void A_site_block_on_a_term_also_holds_for_its_abbreviation_and_the_builder_counts_the_abbreviation()
    {
        // The site's documents say "CKD" and its coders never coded it: the builder measures the abbreviation as the coder reads it.
        var documents = new Dictionary<string, string> { ["a"] = "Known CKD, stable.", ["b"] = "CKD under follow-up." };
        var lexicon = SiteLexiconBuilder.Build([], documents, Language.English, genericTerms: Coder.GenericTerms(Language.English));
        Assert.Contains(lexicon, e => e.Code == "N18.9" && e.Weight == 0);
        Assert.Equal(["N18.9"], Codes(Coder.Code("Known CKD.", Inpatient)));
        var site = Coder.WithSiteLexicon(lexicon).Code("Known CKD.", Inpatient);
        Assert.Empty(site.Codes);
        Assert.Contains(site.Rejected, r => r.Code == "N18.9" && r.Reason.StartsWith("the site's coders rarely gave this code"));
    }

    [Theory]
    [InlineData("S72.001A", true)]  // "… neck of right femur …"
    [InlineData("N23", false)]
    [InlineData("X99.9", false)]    // unknown code
    public void A_code_names_a_side_when_its_title_says_right_left_or_bilateral(string code, bool expected) =>
        Assert.Equal(expected, Coder.NamesSide(CodeSystems.Icd10Cm, code));

    [Fact]
    public void Empty_and_garbage_input_give_an_empty_result_and_oversized_input_a_clear_error()
    {
        Assert.Empty(Coder.Code("", Inpatient).Codes);
        Assert.Empty(Coder.Code("   \n\t ", Inpatient).Codes);
        var random = new Random(7);
        var garbage = new string(Enumerable.Range(0, 100_000).Select(_ => (char)random.Next(0, 0xD7FF)).ToArray());
        var result = Coder.Code(garbage, Inpatient);
        foreach (var code in result.Codes)
            Assert.All(code.Spans, s => Assert.Equal(garbage.Substring(s.Start, s.Length), s.Text));
        var error = Assert.Throws<ArgumentException>(() => Coder.Code(new string('a', Coder.MaxTextLength + 1), Inpatient));
        Assert.Contains("at most", error.Message);
    }

    [Fact]
    public void Search_finds_codes_for_a_phrase_and_explore_shows_the_tabular_context()
    {
        Assert.Contains(Coder.Search("renal colic"), h => h.Code == "N23");
        Assert.Contains(Coder.Search("diabetes"), h => h.Code == "E11.9");
        var details = Coder.Explore("S72.001A")!;
        Assert.Equal(["S72.001", "S72.00", "S72"], details.Ancestors.Select(a => a.Code));
        Assert.Equal('S', details.SeventhCharacters!.Keys.Last());
        Assert.Null(Coder.Explore("X99.999"));
    }

    [Fact]
    public void Verify_reports_unknown_and_non_billable_codes_excludes1_pairs_and_missing_partners()
    {
        var issues = Coder.Verify(["N23", "R10.83", "N18", "E11.22", "Q99.99"]);
        Assert.Contains(issues, i => i.Kind == "excludes1" && i.Code == "N23");
        Assert.Contains(issues, i => i.Kind == "not-billable" && i.Code == "N18" && i.Message.Contains("N18.9"));
        Assert.Contains(issues, i => i.Kind == "unknown" && i.Code == "Q99.99");
        Assert.Contains(issues, i => i.Kind == "use-additional-code" && i.Code == "E11.22");
        Assert.DoesNotContain(Coder.Verify(["E11.22", "N18.3", "Z79.4"]), i => i.Code == "E11.22" && i.Kind == "use-additional-code");
    }

    [Fact]
    public void Coding_is_deterministic_and_safe_from_many_threads()
    {
        const string note = "Type 2 diabetes mellitus. Renal colic. Probable pneumonia. No fever.";
        var expected = string.Join(",", Coder.Code(note, Inpatient).Codes.Select(c => $"{c.Code}:{c.Confidence}"));
        var results = Enumerable.Range(0, 64).AsParallel().Select(_ => string.Join(",", Coder.Code(note, Inpatient).Codes.Select(c => $"{c.Code}:{c.Confidence}"))).ToList();
        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
