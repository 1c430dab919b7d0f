using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Coders;
using Symphony.Coders.Lexicon;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Terminology;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>Written Conditions, the Claim and the $code answer carry the status that decided each code and the coder's ranking.</summary>
public class WriteBackStatusTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedTerminology.LoadIcd10Cm(), ShippedTerminology.LoadIcd10Pcs()));

    const string DischargeSummary = """
        DISCHARGE DIAGNOSES:
        1. Community acquired pneumonia.
        2. Type 2 diabetes mellitus.
        HISTORY OF PRESENT ILLNESS: A 67-year-old man with essential hypertension presented with cough and fever.
        """;

    /// <summary>The Synthea inpatient encounter with a note of the given text, coded by the shipped coder.</summary>
    static WriteBackInput Coded(string text, CareSetting setting = CareSetting.Inpatient)
    {
        var note = SyntheaNote.Load(setting == CareSetting.Inpatient ? "inpatient" : "outpatient");
        note.Document.Meta = new Meta { VersionId = "1", LastUpdated = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) };
        note.Document.Content[0].Attachment.Data = System.Text.Encoding.UTF8.GetBytes(text);
        var result = Shipped.Value.Code(text, new CodingOptions { Setting = setting });
        return new WriteBackInput(note.Document, note.Encounter, new ResourceReference($"Patient/{note.Patient.Id}"), null,
            result, new CodeSystemVersions("2021", "2021"), CoderIdentity.Embedded, note.Document.Meta.LastUpdated!.Value);
    }

    static Condition ConditionOf(IEnumerable<Resource> written, string code) =>
        written.OfType<Condition>().Single(c => c.Code!.Coding[0].Code == code);

    static string Notes(Condition condition) => string.Join("\n", condition.Note.Select(n => n.Text));

    [Fact]
    public void GivenAnInpatientNoteWithAPossibleCopdExacerbation_WhenWrittenBack_ThenItsConditionIsProvisionalAndSaysItWasCodedAsEstablished()
    {
        var written = WriteBack.Map(Coded("Possible early COPD exacerbation. Type 2 diabetes mellitus.\n"));

        var copd = ConditionOf(written, "J44.1");
        Assert.Equal("provisional", copd.VerificationStatus!.Coding[0].Code);
        Assert.Equal("active", copd.ClinicalStatus!.Coding[0].Code);
        Assert.Contains("Status: uncertain.", Notes(copd));
        Assert.Contains("uncertain diagnosis coded as established (inpatient)", Notes(copd));
        var diabetes = ConditionOf(written, "E11.9");
        Assert.Equal("confirmed", diabetes.VerificationStatus!.Coding[0].Code);
        Assert.Contains("matched the clinical synonym 'diabetes mellitus type 2'", Notes(diabetes));
        var errors = written.SelectMany(ProfileValidator.Errors).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void GivenAResectedColonCancerAndHypertensiveCkd_WhenWrittenBack_ThenTheHistoryCodeIsResolvedAndTheCombinationSaysWhatItCombined()
    {
        var written = WriteBack.Map(Coded("History of colon cancer, resected, no current treatment. Essential hypertension with chronic kidney disease stage 3.\n"));

        var history = written.OfType<Condition>().Single(c => c.Code!.Coding[0].Code?.StartsWith("Z85", StringComparison.Ordinal) == true);
        Assert.Equal(("resolved", "confirmed"), (history.ClinicalStatus!.Coding[0].Code, history.VerificationStatus!.Coding[0].Code));
        Assert.Contains("past condition C18.9 reported as personal history", Notes(history));
        var combined = ConditionOf(written, "I12.9");
        Assert.Equal("active", combined.ClinicalStatus!.Coding[0].Code);
        Assert.Contains("combined I10 and N18.30 into I12.9 (hypertension with ckd)", Notes(combined));
        Assert.Contains("kept beside I12.9 as its additional code (hypertension with ckd)", Notes(ConditionOf(written, "N18.30")));
        var errors = written.SelectMany(ProfileValidator.Errors).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void GivenADischargeSummary_WhenTheClaimIsMade_ThenThePrincipalDiagnosisIsSequenceOneAndTheOthersFollowTheRanking()
    {
        var input = Coded(DischargeSummary);
        var claim = WriteBack.Map(input).OfType<Claim>().Single();

        var codes = claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code).ToList();
        // The diabetes is matched more confidently, but the pneumonia is listed first under the discharge diagnoses.
        Assert.True(input.Result.Codes.Single(c => c.Code == "E11.9").Confidence > input.Result.Codes.Single(c => c.Code == "J18.9").Confidence);
        Assert.Equal("J18.9", codes[0]);
        Assert.Equal((1, "principal"), (claim.Diagnosis[0].Sequence!.Value, claim.Diagnosis[0].Type[0].Coding[0].Code));
        Assert.Equal(input.Result.Diagnoses.Select(c => c.Code), codes);
        var condition = ConditionOf(WriteBack.MapNote(input), "J18.9");
        Assert.Contains($"diagnosis 1 of {codes.Count}: principal diagnosis (Section II): first listed under 'DISCHARGE DIAGNOSES'", Notes(condition));
    }

    [Fact]
    public void GivenTheCodeAnswer_WhenReadBack_ThenItCarriesThePrincipalTheBasisAndTheStatuses()
    {
        var input = Coded(DischargeSummary);
        var answer = new FhirJsonDeserializer().Deserialize<Parameters>(CodingParameters.Build(input.Result, input.Versions, []).ToJson());

        var first = answer.Parameter.First(p => p.Name == "code");
        Assert.Equal("J18.9", ((Coding)first.Part.Single(p => p.Name == "code").Value!).Code);
        Assert.True(((FhirBoolean)first.Part.Single(p => p.Name == "principal").Value!).Value);
        Assert.Equal("confirmed", ((Coding)first.Part.Single(p => p.Name == "verificationStatus").Value!).Code);
        Assert.Equal("active", ((Coding)first.Part.Single(p => p.Name == "clinicalStatus").Value!).Code);
        var basis = first.Part.Single(p => p.Name == "basis").Part;
        Assert.Equal("final", ((Code)basis.Single(p => p.Name == "section").Value!).Value);
        Assert.Equal("synonym", ((FhirString)basis.Single(p => p.Name == "match").Value!).Value);
        Assert.Equal("principal diagnosis (Section II): first listed under 'DISCHARGE DIAGNOSES'", ((FhirString)basis.Single(p => p.Name == "principal").Value!).Value);
        var read = CodingParameters.Read(answer);
        Assert.Equal([true], read.Where(c => c.Principal).Select(c => c.Code == "J18.9"));
    }

    [Fact]
    public void GivenTwoNotesOfAnEncounter_WhenOneNamesThePrincipalDiagnosis_ThenItLeadsTheClaimOverMoreConfidentCodes()
    {
        var input = Coded(DischargeSummary);
        var other = new ClaimSource("DocumentReference/other/_history/1",
            [new AnsweredCode(CodeSystems.Icd10Cm, "I10", "Essential (primary) hypertension", "2021", 0.99m, [new EvidenceSpan(0, 12, "hypertension")])]);

        var (claim, _) = WriteBack.EncounterClaim(input, [other, ClaimSource.Of(input)]);

        var codes = claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code).ToList();
        Assert.Equal("J18.9", codes[0]);
        Assert.Equal("I10", codes[1]);
    }
}
