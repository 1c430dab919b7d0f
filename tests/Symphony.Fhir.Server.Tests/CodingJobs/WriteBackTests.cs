using Symphony.Coders;
using Symphony.Coders.Context;
using Symphony.Coders.Lexicon;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.CodingJobs;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

public class WriteBackTests
{
    static readonly SyntheaNote Note = LoadVersioned("inpatient");

    static SyntheaNote LoadVersioned(string setting)
    {
        var note = SyntheaNote.Load(setting);
        note.Document.Meta = new Meta { VersionId = "3", LastUpdated = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero) };
        return note;
    }

    /// <summary>A coding result whose spans are found in the real note text, as the coder reports them.</summary>
    static CodedConcept Code(string system, string code, string display, string evidence, string noteText)
    {
        var start = noteText.IndexOf(evidence, StringComparison.Ordinal);
        Assert.True(start >= 0, $"'{evidence}' not in the note");
        return new CodedConcept(system, code, display, 0.9, [new Symphony.Coders.EvidenceSpan(start, evidence.Length, evidence)], MentionStatus.Affirmed, ["test"]);
    }

    static WriteBackInput Input(SyntheaNote note, params CodedConcept[] codes) => new(
        note.Document, note.Encounter, new ResourceReference($"Patient/{note.Patient.Id}"), null,
        new CodingResult(codes, []), new CodeSystemVersions("2026", "2026"), CoderIdentity.Embedded,
        note.Document.Meta!.LastUpdated!.Value);

    static readonly CodedConcept[] BronchitisAndUti =
    [
        Code(CodeSystems.Icd10Cm, "J20.9", "Acute bronchitis, unspecified", "acute bronchitis", Note.NoteText),
        Code(CodeSystems.Icd10Cm, "N39.0", "Urinary tract infection, site not specified", "escherichia coli urinary tract infection", Note.NoteText),
        Code(CodeSystems.Icd10Pcs, "DWY5ZZZ", "Hyperthermia of whole body", "combined chemotherapy and radiation therapy", Note.NoteText),
    ];

    [Fact]
    public void GivenACodedInpatientNote_WhenMapped_ThenEveryWrittenResourceValidatesAgainstCoreAndProfiles()
    {
        var written = WriteBack.Map(Input(Note, BronchitisAndUti));

        Assert.Equal(["Device", "Condition", "Provenance", "Condition", "Provenance", "Procedure", "Provenance", "Coverage", "Claim", "Provenance"], written.Select(r => r.TypeName));
        var errors = written.SelectMany(ProfileValidator.Errors).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void ProvenanceQuotesTheNoteVersionAtTheSpanOffsets()
    {
        var written = WriteBack.Map(Input(Note, BronchitisAndUti));
        var condition = written.OfType<Condition>().Single(c => c.Code!.Coding[0].Code == "N39.0");
        var provenance = written.OfType<Provenance>().Single(p => p.Target[0].Reference == $"Condition/{condition.Id}");

        var entity = Assert.Single(provenance.Entity);
        Assert.Equal($"DocumentReference/{Note.Document.Id}/_history/3", entity.What.Reference);
        var derivation = entity.GetExtension("http://hl7.org/fhir/StructureDefinition/derivation-reference")!;
        var offset = derivation.GetExtensionValue<Integer>("offset").Value!.Value;
        var length = derivation.GetExtensionValue<Integer>("length").Value!.Value;
        Assert.Equal("escherichia coli urinary tract infection", Note.NoteText.Substring(offset, length));
        Assert.Equal(Note.NoteText.Substring(offset, length), entity.What.Display);
        Assert.StartsWith("Device/", provenance.Agent[0].Who!.Reference);
    }

    [Fact]
    public void ClaimListsThePrincipalDiagnosisFirstThenProceduresForTheEncounter()
    {
        var claim = WriteBack.Map(Input(Note, BronchitisAndUti)).OfType<Claim>().Single();

        Assert.Equal(["J20.9", "N39.0"], claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code));
        Assert.Equal("principal", claim.Diagnosis[0].Type[0].Coding[0].Code);
        Assert.Equal("DWY5ZZZ", ((CodeableConcept)Assert.Single(claim.Procedure).Procedure).Coding[0].Code);
        Assert.Equal($"Encounter/{Note.Encounter.Id}", claim.Item[0].Encounter[0].Reference);
        Assert.Equal("institutional", claim.Type.Coding[0].Code);
        Assert.StartsWith("Coverage/", claim.Insurance[0].Coverage.Reference);
    }

    [Fact]
    public void GivenAPcsCode_WhenMapped_ThenItIsACompletedMachineSuggestedProcedureAtTheEncounterWithItsEvidence()
    {
        var written = WriteBack.Map(Input(Note, BronchitisAndUti));

        var procedure = Assert.Single(written.OfType<Procedure>());
        Assert.Equal(WriteBack.ProcedureId(Note.Document.Id!, CodeSystems.Icd10Pcs, "DWY5ZZZ"), procedure.Id);
        Assert.Equal(EventStatus.Completed, procedure.Status);
        Assert.Equal((CodeSystems.Icd10Pcs, "DWY5ZZZ", "2026"), (procedure.Code!.Coding[0].System, procedure.Code!.Coding[0].Code, procedure.Code!.Coding[0].Version));
        Assert.Equal($"Encounter/{Note.Encounter.Id}", procedure.Encounter!.Reference);
        Assert.Equal($"Patient/{Note.Patient.Id}", procedure.Subject!.Reference);
        Assert.Equal([ProfileUrls.MachineSuggestedTagCode], procedure.Meta!.Tag.Select(t => t.Code));
        var provenance = written.OfType<Provenance>().Single(p => p.Target[0].Reference == $"Procedure/{procedure.Id}");
        Assert.Equal("combined chemotherapy and radiation therapy", Assert.Single(provenance.Entity).What.Display);
        Assert.DoesNotContain(written.OfType<Condition>(), c => c.Code!.Coding[0].System == CodeSystems.Icd10Pcs);
    }

    [Fact]
    public void GivenAPartialPcsCode_WhenMapped_ThenItsProcedureIsTaggedIncompleteAndTheClaimLeavesItOff()
    {
        var partial = Code(CodeSystems.Icd10Pcs, "0DT", "Resection of gastrointestinal system", "combined chemotherapy and radiation therapy", Note.NoteText);

        var written = WriteBack.Map(Input(Note, [.. BronchitisAndUti, partial]));

        var procedure = written.OfType<Procedure>().Single(p => p.Code!.Coding[0].Code == "0DT");
        Assert.Contains(procedure.Meta!.Tag, t => t.System == ProfileUrls.CodeCompletenessTagSystem && t.Code == ProfileUrls.IncompleteTagCode);
        Assert.DoesNotContain(written.OfType<Procedure>().Single(p => p.Code!.Coding[0].Code == "DWY5ZZZ").Meta!.Tag, t => t.System == ProfileUrls.CodeCompletenessTagSystem);
        var claim = written.OfType<Claim>().Single();
        Assert.Equal(["DWY5ZZZ"], claim.Procedure.Select(p => ((CodeableConcept)p.Procedure).Coding[0].Code));
        Assert.Equal([1], claim.Item[0].ProcedureSequence.Select(s => s!.Value));
    }

    [Fact]
    public void GivenASupersededProcedure_WhenSuperseded_ThenItIsEnteredInErrorUnderTheSameId()
    {
        var procedure = WriteBack.Map(Input(Note, BronchitisAndUti)).OfType<Procedure>().Single();

        var superseded = (Procedure)WriteBack.Supersede(procedure);

        Assert.Equal(EventStatus.EnteredInError, superseded.Status);
        Assert.Equal(procedure.Id, superseded.Id);
    }

    [Fact]
    public void GivenThePatientHasCoverage_WhenMapped_ThenNoSelfPayCoverageIsWritten()
    {
        var input = Input(Note, BronchitisAndUti) with { PatientCoverage = new ResourceReference("Coverage/existing") };

        var written = WriteBack.Map(input);

        Assert.DoesNotContain(written, r => r is Coverage);
        Assert.Equal("Coverage/existing", written.OfType<Claim>().Single().Insurance[0].Coverage.Reference);
    }

    [Fact]
    public void MappingTheSameNoteTwiceGivesTheSameIdsAndContent()
    {
        var first = WriteBack.Map(Input(Note, BronchitisAndUti));
        var second = WriteBack.Map(Input(Note, BronchitisAndUti));

        Assert.Equal(first.Select(r => $"{r.TypeName}/{r.Id}"), second.Select(r => $"{r.TypeName}/{r.Id}"));
        Assert.Equal(first.Count, first.Select(r => $"{r.TypeName}/{r.Id}").Distinct().Count());
        Assert.True(first.Zip(second).All(p => p.First.IsExactly(p.Second)));
    }

    [Fact]
    public void ANewNoteVersionKeepsTheConditionIdOfACodeItStillSupports()
    {
        var v3 = WriteBack.Map(Input(Note, BronchitisAndUti)).OfType<Condition>().Select(c => c.Id);
        Note.Document.Meta!.VersionId = "4";
        try
        {
            var v4 = WriteBack.Map(Input(Note, BronchitisAndUti)).OfType<Condition>().Select(c => c.Id);
            Assert.Equal(v3, v4);
        }
        finally { Note.Document.Meta!.VersionId = "3"; }
    }

    [Fact]
    public void ASupersededConditionIsEnteredInErrorWithoutClinicalStatusAndStillValidates()
    {
        var condition = WriteBack.Map(Input(Note, BronchitisAndUti)).OfType<Condition>().First();

        var superseded = WriteBack.Supersede(condition);

        Assert.Equal("entered-in-error", superseded.VerificationStatus!.Coding[0].Code);
        Assert.Null(superseded.ClinicalStatus);
        Assert.Equal(condition.Id, superseded.Id);
        Assert.Empty(ProfileValidator.Errors(superseded));
    }

    [Fact]
    public void AnOutpatientEncounterGetsAProfessionalClaim()
    {
        var note = LoadVersioned("outpatient");
        var claim = WriteBack.Map(Input(note, Code(CodeSystems.Icd10Cm, "I10", "Essential (primary) hypertension", "essential hypertension", note.NoteText)))
            .OfType<Claim>().Single();

        Assert.Equal("professional", claim.Type.Coding[0].Code);
        Assert.Empty(ProfileValidator.Errors(claim));
    }

    [Fact]
    public void GivenAConditionWithoutEncounterOrSpanOffsets_WhenValidated_ThenTheProfilesReportErrors()
    {
        var written = WriteBack.Map(Input(Note, BronchitisAndUti));
        var condition = (Condition)written.OfType<Condition>().First().DeepCopy();
        condition.Encounter = null;
        var provenance = (Provenance)written.OfType<Provenance>().First().DeepCopy();
        provenance.Entity[0].Extension[0].RemoveExtension("offset");

        Assert.Contains(ProfileValidator.Errors(condition), e => e.Contains("Condition.encounter", StringComparison.OrdinalIgnoreCase) || e.Contains("encounter"));
        Assert.NotEmpty(ProfileValidator.Errors(provenance));
    }

    [Fact]
    public void TheProfileExamplesValidate()
    {
        var deserializer = new FhirJsonDeserializer();
        var examples = Directory.GetFiles(Path.Combine(TestPaths.Profiles, "examples"), "*.json")
            .Select(f => deserializer.Deserialize<Resource>(File.ReadAllText(f))).ToList();

        Assert.NotEmpty(examples);
        var errors = examples.SelectMany(ProfileValidator.Errors).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    static AnsweredCode Answered(string system, string code, decimal confidence, int offset, string text) =>
        new(system, code, code + " display", "2021", confidence, [new Symphony.Coders.EvidenceSpan(offset, text.Length, text)]);

    [Fact]
    public void GivenTwoCodedNotesOfAnEncounter_WhenTheClaimIsMade_ThenItHasEveryCodeOnceWithTheMostConfidentDiagnosisFirstAndQuotesBothNotes()
    {
        var first = new ClaimSource("DocumentReference/a/_history/1",
        [
            Answered(CodeSystems.Icd10Cm, "N39.0", 0.9m, 10, "urinary tract infection"),
            Answered(CodeSystems.Icd10Cm, "J20.9", 0.8m, 40, "acute bronchitis"),
            Answered(CodeSystems.Icd10Pcs, "0DTJ4ZZ", 0.7m, 70, "appendectomy"),
        ]);
        var second = new ClaimSource("DocumentReference/b/_history/2",
        [
            Answered(CodeSystems.Icd10Cm, "I10", 0.95m, 5, "essential hypertension"),
            Answered(CodeSystems.Icd10Cm, "J20.9", 0.85m, 30, "bronchitis"),
        ]);

        var (claim, provenance) = WriteBack.EncounterClaim(Input(Note), [first, second]);

        Assert.Equal(["I10", "N39.0", "J20.9"], claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code));
        Assert.Equal(["principal", "clinical", "clinical"], claim.Diagnosis.Select(d => d.Type[0].Coding[0].Code));
        Assert.Equal("0DTJ4ZZ", ((CodeableConcept)Assert.Single(claim.Procedure).Procedure).Coding[0].Code);
        Assert.Equal([1, 2, 3], claim.Item[0].DiagnosisSequence.Select(s => s!.Value));
        // J20.9 was found in both notes: one line, both quotes.
        Assert.Equal(["b:essential hypertension", "a:urinary tract infection", "b:bronchitis", "a:acute bronchitis", "a:appendectomy"],
            provenance.Entity.Select(e => $"{e.What.Reference!.Split('/')[1]}:{e.What.Display}"));
        Assert.Equal($"Claim/{claim.Id}", provenance.Target[0].Reference);
        var errors = ProfileValidator.Errors(claim).Concat(ProfileValidator.Errors(provenance)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void TheClaimOfOneNoteIsTheSameWhicheverNoteOfTheEncounterWroteIt()
    {
        var a = new ClaimSource("DocumentReference/a/_history/1", [Answered(CodeSystems.Icd10Cm, "N39.0", 0.9m, 10, "urinary tract infection")]);
        var b = new ClaimSource("DocumentReference/b/_history/1", [Answered(CodeSystems.Icd10Cm, "I10", 0.9m, 5, "essential hypertension")]);

        var (claim, _) = WriteBack.EncounterClaim(Input(Note), [a, b]);

        // Equal confidence: the note listed first wins the tie, so the order of the notes decides, not who coded last.
        Assert.Equal(["N39.0", "I10"], claim.Diagnosis.Select(d => ((CodeableConcept)d.Diagnosis).Coding[0].Code));
        Assert.Equal(WriteBack.ClaimId(Note.Encounter.Id!), claim.Id);
    }

    [Fact]
    public void AnAnswerReadBackGivesTheCodesInTheCodersOrderWithTheirSpans()
    {
        var answer = CodingParameters.Build(new CodingResult(BronchitisAndUti, []), new CodeSystemVersions("2021", "2026"), ["Claim/x"]);

        var codes = CodingParameters.Read(new Hl7.Fhir.Serialization.FhirJsonDeserializer().Deserialize<Parameters>(answer.ToJson()));

        Assert.Equal(["J20.9", "N39.0", "DWY5ZZZ"], codes.Select(c => c.Code));
        Assert.Equal(["2021", "2021", "2026"], codes.Select(c => c.Version));
        Assert.Equal(0.9m, codes[0].Confidence);
        Assert.Equal("escherichia coli urinary tract infection", Assert.Single(codes[1].Spans).Text);
    }

    [Fact]
    public void GivenANoteCodedWithTheNearestRelease_WhenMapped_ThenConditionsAndTheDeviceNameTheReleasesAndTheAnswerSaysWhy()
    {
        var why = "coded with ICD-10-CM 2024: no release for FY2027 is loaded";
        var input = Input(Note, BronchitisAndUti) with { Versions = new CodeSystemVersions("2024", "2026", why) };

        var written = WriteBack.MapNote(input);
        var otherRelease = WriteBack.MapNote(input with { Versions = new CodeSystemVersions("2027", "2026") }).OfType<Device>().Single();
        var answer = CodingParameters.Build(input.Result, input.Versions, []);

        Assert.All(written.OfType<Condition>().Where(c => c.Code!.Coding[0].System == CodeSystems.Icd10Cm), c => Assert.Equal("2024", c.Code!.Coding[0].Version));
        var device = written.OfType<Device>().Single();
        Assert.Equal(["2024", "2026"], device.Version.Where(v => v.Type?.Text is "ICD-10-CM" or "ICD-10-PCS").Select(v => v.Value));
        Assert.NotEqual(device.Id, otherRelease.Id);
        Assert.Equal(why, answer.GetSingleValue<FhirString>("note")?.Value);
    }
}
