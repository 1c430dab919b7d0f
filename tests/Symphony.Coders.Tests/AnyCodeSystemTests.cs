using Symphony.Coders.Text;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;

namespace Symphony.Coders.Tests;

/// <summary>Coding against code systems that are not ICD: what a FHIR CodeSystem carries is enough.</summary>
public class AnyCodeSystemTests
{
    const string ProblemList = "http://example.org/fhir/CodeSystem/problem-list";
    const string ActSite = "http://terminology.hl7.org/CodeSystem/v3-ActSite";

    static CodeSystemVersion Load(string file) =>
        Assert.Single(FhirTerminologyLoader.LoadFile(Path.Combine(AppContext.BaseDirectory, "fixtures", "fhir", file)).CodeSystems);

    static readonly Lazy<CodeSystemVersion> Problems = new(() => Load("CodeSystem-problem-list.json"));
    static readonly Lazy<CodeSystemVersion> Sites = new(() => Load("CodeSystem-v3-ActSite.json"));
    static readonly Lazy<Coder> Coder = new(() => new Coder([Problems.Value, Sites.Value]));

    static readonly CodingOptions Outpatient = new() { Setting = CareSetting.Outpatient };

    [Fact]
    public void A_body_site_from_the_HL7_ActSite_package_is_coded_with_its_span_and_a_negated_one_is_rejected()
    {
        const string note = "Influenza vaccine given in the left deltoid. No bruising at the right deltoid.";

        var result = Coder.Value.Code(note, Outpatient);

        var site = Assert.Single(result.Codes);
        Assert.Equal((ActSite, "LD", "left deltoid"), (site.System, site.Code, site.Display));
        var span = Assert.Single(site.Spans);
        Assert.Equal("left deltoid", note.Substring(span.Start, span.Length));
        var negated = Assert.Single(result.Rejected, r => r.Code == "RD");
        Assert.StartsWith("negated", negated.Reason);
    }

    [Fact]
    public void A_notSelectable_concept_is_never_reported_and_the_rejection_says_why()
    {
        var result = Coder.Value.Code("Diabetes mellitus screening next month. Known asthma.", Outpatient);

        Assert.Equal(["ASTHMA"], result.Codes.Select(c => c.Code));
        var grouping = Assert.Single(result.Rejected, r => r.Code == "DM");
        Assert.StartsWith("not selectable", grouping.Reason);
        Assert.All(result.Codes, c => Assert.True(Problems.Value.Find(c.Code)!.IsBillable));
    }

    [Fact]
    public void Of_a_concept_and_one_below_it_in_the_note_only_the_more_specific_is_reported()
    {
        var result = Coder.Value.Code("Hypertension for years. It is essential hypertension. CKD stage 3: chronic kidney disease stage 3.", Outpatient);

        Assert.Equal(["CKD3", "HTN-ESS"], result.Codes.Select(c => c.Code).Order());
        Assert.Contains(result.Rejected, r => r.Code == "HTN" && r.Reason.StartsWith("less specific than HTN-ESS"));
    }

    [Fact]
    public void Designations_are_read_in_their_own_language_and_synonyms_count()
    {
        var english = Coder.Value.Code("Adult-onset diabetes, cardiac failure.", Outpatient);
        var spanish = Coder.Value.Code("Paciente con diabetes mellitus tipo 2 e hipertensión esencial.", Outpatient with { Language = Language.Spanish });
        var spanishWordsInEnglishNote = Coder.Value.Code("Paciente con hipertensión esencial.", Outpatient);

        Assert.Equal(["DM2", "HF"], english.Codes.Select(c => c.Code).Order());
        Assert.Equal(["DM2", "HTN-ESS"], spanish.Codes.Select(c => c.Code).Order());
        Assert.Empty(spanishWordsInEnglishNote.Codes);
    }

    [Fact]
    public void A_code_outside_the_ValueSet_is_rejected_and_its_nearest_ancestor_in_the_set_is_reported()
    {
        var allowed = new AllowedCodes("http://example.org/fhir/ValueSet/problems", "1", [(ProblemList, "HTN"), (ProblemList, "DM2"), (ProblemList, "ASTHMA")]);

        var result = Coder.Value.Code("Essential hypertension. Asthma. Chronic kidney disease stage 3.", Outpatient with { AllowedCodes = allowed });

        Assert.Equal(["ASTHMA", "HTN"], result.Codes.Select(c => c.Code).Order());
        var htn = result.Codes.Single(c => c.Code == "HTN");
        Assert.Equal("Essential hypertension", Assert.Single(htn.Spans).Text);
        Assert.Contains(htn.Rules, r => r.StartsWith("valueset:HTN-ESS not in http://example.org/fhir/ValueSet/problems|1 → HTN"));
        Assert.Contains(result.Rejected, r => r.Code == "HTN-ESS" && r.Reason == "not in ValueSet http://example.org/fhir/ValueSet/problems|1");
        // No member above stage 3 CKD: rejected, nothing in its place.
        Assert.Contains(result.Rejected, r => r.Code == "CKD3" && r.Reason.StartsWith("not in ValueSet"));
    }

    [Fact]
    public void A_coder_built_from_a_set_of_systems_codes_ICD_as_the_ICD_constructor_does()
    {
        var small = SmallCodeSystem.Create();
        const string note = "Type 2 diabetes mellitus with diabetic chronic kidney disease. No fever. Renal colic.";
        var sources = Lexicon.TermSources.Default | Lexicon.TermSources.NoSynonyms;

        var fromSet = new Coder([small], sources: sources).Code(note);
        var fromIcd = new Coder(small, null, sources: sources).Code(note);

        Assert.NotEmpty(fromSet.Codes);
        Assert.Equal(fromIcd.Codes.Select(c => (c.Code, c.Rules.Count)), fromSet.Codes.Select(c => (c.Code, c.Rules.Count)));
        Assert.Equal(fromIcd.Rejected.Select(r => (r.Code, r.Reason)), fromSet.Rejected.Select(r => (r.Code, r.Reason)));
    }

    [Fact]
    public void Two_versions_of_one_system_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new Coder([Problems.Value, Problems.Value]));
        Assert.Contains(ProblemList, error.Message);
    }

    [Fact]
    public void A_ValueSet_expanded_by_the_terminology_service_limits_the_codes()
    {
        var service = new TerminologyService();
        service.Add(Problems.Value);
        service.Add(new ValueSetDefinition("http://example.org/fhir/ValueSet/cardiovascular", "2", null,
            [new ValueSetRule(ProblemList, null, [], [new ValueSetFilter("concept", "descendent-of", "CARDIO")], [])], []));
        var allowed = AllowedCodes.Expand(service, "http://example.org/fhir/ValueSet/cardiovascular");

        var result = Coder.Value.Code("Essential hypertension and asthma.", Outpatient with { AllowedCodes = allowed });

        Assert.Equal(4, allowed.Count);
        Assert.Equal(["HTN-ESS"], result.Codes.Select(c => c.Code));
        Assert.Contains(result.Rejected, r => r.Code == "ASTHMA" && r.Reason == "not in ValueSet http://example.org/fhir/ValueSet/cardiovascular|2");
    }

    [Fact]
    public void A_concept_of_any_system_can_be_explored_up_and_down_its_hierarchy()
    {
        var details = Coder.Value.Explore("HTN-ESS", ProblemList)!;

        Assert.Equal(["HTN", "CARDIO"], details.Ancestors.Select(a => a.Code));
        Assert.Equal(["CKD3"], Coder.Value.Explore("CKD", ProblemList)!.Children.Select(c => c.Code));
        Assert.False(Coder.Value.Explore("CARDIO", ProblemList)!.IsBillable);
    }

    [Fact]
    public void A_ValueSet_filter_limits_ICD_codes_too()
    {
        var coder = new Coder([SmallCodeSystem.Create()], sources: Lexicon.TermSources.Default | Lexicon.TermSources.NoSynonyms);
        var allowed = new AllowedCodes("http://example.org/fhir/ValueSet/cardio", null, [(Lexicon.CodeSystems.Icd10Cm, "I10")]);

        var result = coder.Code("Essential hypertension. Pneumonia.", Outpatient with { AllowedCodes = allowed });

        Assert.Equal(["I10"], result.Codes.Select(c => c.Code));
        Assert.Contains(result.Rejected, r => r.Code == "J18.9" && r.Reason == "not in ValueSet http://example.org/fhir/ValueSet/cardio");
    }
}
