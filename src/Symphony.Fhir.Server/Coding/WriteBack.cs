extern alias coder;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using coder::Symphony.Coding;
using coder::Symphony.Coding.Lexicon;

// Not "…Server.Coding": that namespace would hide Hl7.Fhir.Model.Coding everywhere under Symphony.Fhir.Server.
namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>What one coded note writes back, and what it needs to know to do so.</summary>
/// <summary>The releases the note was coded against (ICD-10-CM by fiscal year of the encounter date).</summary>
public sealed record CodeSystemVersions(string Icd10Cm, string Icd10Pcs)
{
    public string For(string system) => system == CodeSystems.Icd10Pcs ? Icd10Pcs : Icd10Cm;
}

public sealed record WriteBackInput(
    DocumentReference Document,
    Encounter Encounter,
    ResourceReference Patient,
    ResourceReference? PatientCoverage,
    CodingResult Result,
    CodeSystemVersions Versions,
    CoderIdentity Coder,
    DateTimeOffset Recorded);

/// <summary>
/// Maps a coded note to the resources we write: a Condition per diagnosis, one Claim for the
/// encounter, a self-pay Coverage when the patient has none, the coder Device, and a Provenance
/// per Condition and Claim quoting the evidence spans. Ids are derived from the document (and
/// code), so coding the same note twice writes the same resources, and a new note version
/// overwrites its earlier suggestions in place (history keeps them).
/// </summary>
public static class WriteBack
{
    public const string NoteTextPath = "DocumentReference.content[0].attachment";

    public static IReadOnlyList<Resource> Map(WriteBackInput input)
    {
        var documentId = input.Document.Id ?? throw new ArgumentException("The DocumentReference has no id.");
        var documentVersion = input.Document.Meta?.VersionId ?? throw new ArgumentException("The DocumentReference has no version id.");
        var sourceReference = $"DocumentReference/{documentId}/_history/{documentVersion}";
        var device = CoderDevice(input.Coder);
        var deviceReference = new ResourceReference($"Device/{device.Id}", $"{input.Coder.Name} {input.Coder.Version}");

        var written = new List<Resource> { device };
        var diagnoses = input.Result.Diagnoses.ToList();
        var procedures = input.Result.Procedures.ToList();
        foreach (var diagnosis in diagnoses)
        {
            var condition = Condition(input, documentId, diagnosis);
            written.Add(condition);
            written.Add(Provenance(condition, diagnosis.Spans, sourceReference, deviceReference, input.Recorded, input.Coder.Run));
        }

        var coverage = input.PatientCoverage;
        if (coverage is null)
        {
            var selfPay = SelfPayCoverage(input.Patient);
            written.Add(selfPay);
            coverage = new ResourceReference($"Coverage/{selfPay.Id}");
        }
        var claim = Claim(input, diagnoses, procedures, coverage);
        written.Add(claim);
        written.Add(Provenance(claim, input.Result.Codes.SelectMany(c => c.Spans).ToList(), sourceReference, deviceReference, input.Recorded, input.Coder.Run));
        return written;
    }

    /// <summary>The id a diagnosis of this document is written under, whatever the note version.</summary>
    public static string ConditionId(string documentId, string system, string code) => DeterministicId("cond", documentId, system, code);

    public static string ClaimId(string encounterId) => DeterministicId("claim", encounterId);

    /// <summary>An earlier suggestion the new note version no longer supports: kept, but marked entered-in-error.</summary>
    public static Condition Supersede(Condition earlier)
    {
        var superseded = (Condition)earlier.DeepCopy();
        superseded.ClinicalStatus = null; // con-5: no clinical status on an entered-in-error Condition
        superseded.VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "entered-in-error", "Entered in Error");
        return superseded;
    }

    static Condition Condition(WriteBackInput input, string documentId, CodedConcept diagnosis) => new()
    {
        Id = ConditionId(documentId, diagnosis.System, diagnosis.Code),
        Meta = Meta(ProfileUrls.CodedCondition),
        ClinicalStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
        VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "provisional", "Provisional"),
        Category = [Concept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis")],
        Code = new CodeableConcept
        {
            Coding = [new Coding(diagnosis.System, diagnosis.Code, diagnosis.Display) { Version = input.Versions.For(diagnosis.System) }],
            Text = diagnosis.Display,
        },
        Subject = input.Patient,
        Encounter = new ResourceReference($"Encounter/{input.Encounter.Id}"),
        RecordedDate = input.Document.Date?.ToString("o")[..10],
        Evidence = [new Condition.EvidenceComponent { Detail = [new ResourceReference($"DocumentReference/{documentId}")] }],
        Note = [new Annotation { Text = new Markdown($"Suggested by {input.Coder.Name} {input.Coder.Version} ({input.Coder.Path}), confidence {diagnosis.Confidence:0.00}.") }],
    };

    static Claim Claim(WriteBackInput input, List<CodedConcept> diagnoses, List<CodedConcept> procedures, ResourceReference coverage)
    {
        var inpatient = EncounterContext.Setting(input.Encounter) == CareSetting.Inpatient;
        var encounterClass = input.Encounter.Class;
        return new Claim
        {
            Id = ClaimId(input.Encounter.Id!),
            Meta = Meta(ProfileUrls.Claim),
            Status = FinancialResourceStatusCodes.Draft,
            Type = inpatient
                ? Concept("http://terminology.hl7.org/CodeSystem/claim-type", "institutional", "Institutional")
                : Concept("http://terminology.hl7.org/CodeSystem/claim-type", "professional", "Professional"),
            Use = ClaimUseCode.Claim,
            Patient = input.Patient,
            Created = input.Recorded.ToString("o"),
            Provider = Provider(input.Encounter),
            Priority = Concept("http://terminology.hl7.org/CodeSystem/processpriority", "normal", "Normal"),
            Insurance = [new Claim.InsuranceComponent { Sequence = 1, Focal = true, Coverage = coverage }],
            Diagnosis = diagnoses.Select((d, i) => new Claim.DiagnosisComponent
            {
                Sequence = i + 1,
                Diagnosis = new CodeableConcept { Coding = [new Coding(d.System, d.Code, d.Display) { Version = input.Versions.Icd10Cm }], Text = d.Display },
                Type = [i == 0
                    ? Concept("http://terminology.hl7.org/CodeSystem/ex-diagnosistype", "principal", "Principal Diagnosis")
                    : Concept("http://terminology.hl7.org/CodeSystem/ex-diagnosistype", "clinical", "Clinical Diagnosis")],
            }).ToList(),
            Procedure = procedures.Select((p, i) => new Claim.ProcedureComponent
            {
                Sequence = i + 1,
                Procedure = new CodeableConcept { Coding = [new Coding(p.System, p.Code, p.Display) { Version = input.Versions.Icd10Pcs }], Text = p.Display },
            }).ToList(),
            Item =
            [
                new Claim.ItemComponent
                {
                    Sequence = 1,
                    ProductOrService = new CodeableConcept
                    {
                        Coding = encounterClass is null ? [] : [new Coding(encounterClass.System, encounterClass.Code, encounterClass.Display)],
                        Text = inpatient ? "Inpatient encounter" : "Outpatient encounter",
                    },
                    Encounter = [new ResourceReference($"Encounter/{input.Encounter.Id}")],
                    DiagnosisSequence = diagnoses.Select((_, i) => (int?)(i + 1)).ToList(),
                    ProcedureSequence = procedures.Select((_, i) => (int?)(i + 1)).ToList(),
                },
            ],
        };
    }

    /// <summary>The billing provider: the encounter's service provider, else its first performer.</summary>
    static ResourceReference Provider(Encounter encounter) =>
        encounter.ServiceProvider?.Reference is not null ? (ResourceReference)encounter.ServiceProvider.DeepCopy()
        : encounter.Participant.Select(p => p.Individual).FirstOrDefault(r => r?.Reference is not null) is { } performer ? (ResourceReference)performer.DeepCopy()
        : new ResourceReference { Display = "Provider not documented on the encounter" };

    static Coverage SelfPayCoverage(ResourceReference patient) => new()
    {
        Id = DeterministicId("selfpay", patient.Reference),
        Status = FinancialResourceStatusCodes.Active,
        Type = Concept("http://terminology.hl7.org/CodeSystem/coverage-selfpay", "pay", "Pay"),
        Beneficiary = patient,
        Payor = [patient],
    };

    static Device CoderDevice(CoderIdentity coder) => new()
    {
        Id = DeterministicId("coder", coder.Name, coder.Version, coder.Path),
        Status = Device.FHIRDeviceStatus.Active,
        DeviceName = [new Device.DeviceNameComponent { Name = coder.Name, Type = DeviceNameType.ModelName }],
        Type = new CodeableConcept { Text = "Clinical coding software" },
        Version =
        [
            new Device.VersionComponent { Type = new CodeableConcept { Text = "software" }, Value = coder.Version },
            new Device.VersionComponent { Type = new CodeableConcept { Text = "coding path" }, Value = coder.Path },
        ],
    };

    static Provenance Provenance(Resource target, IReadOnlyList<EvidenceSpan> spans, string sourceReference, ResourceReference device, DateTimeOffset recorded, string? run) => new()
    {
        Activity = run is null ? null : new CodeableConcept { Text = run },
        Id = DeterministicId("prov", target.TypeName, target.Id),
        Meta = new Meta { Profile = [ProfileUrls.EvidenceProvenance] },
        Target = [new ResourceReference($"{target.TypeName}/{target.Id}")],
        Recorded = recorded,
        Agent =
        [
            new Provenance.AgentComponent
            {
                Type = Concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler"),
                Who = device,
            },
        ],
        Entity = spans.Count == 0
            ? [new Provenance.EntityComponent { Role = Hl7.Fhir.Model.Provenance.ProvenanceEntityRole.Source, What = new ResourceReference(sourceReference) }]
            : spans.Select(span => QuotationEntity(span, sourceReference)).ToList(),
    };

    /// <summary>One evidence span: the exact note version, where in it, and the quoted text (as the reference's display) so a reader needs no second call.</summary>
    static Provenance.EntityComponent QuotationEntity(EvidenceSpan span, string sourceReference)
    {
        var entity = new Provenance.EntityComponent
        {
            Role = Hl7.Fhir.Model.Provenance.ProvenanceEntityRole.Quotation,
            What = new ResourceReference(sourceReference, span.Text),
        };
        var derivation = new Extension { Url = ProfileUrls.DerivationReference };
        derivation.AddExtension("reference", new ResourceReference(sourceReference));
        derivation.AddExtension("path", new FhirString(NoteTextPath));
        derivation.AddExtension("offset", new Integer(span.Start));
        derivation.AddExtension("length", new Integer(span.Length));
        entity.Extension.Add(derivation);
        return entity;
    }

    static Meta Meta(string profile) => new()
    {
        Profile = [profile],
        Tag = [new Coding(ProfileUrls.MachineSuggestedTagSystem, ProfileUrls.MachineSuggestedTagCode, "Suggested by the coder, not yet accepted")],
    };

    static CodeableConcept Concept(string system, string code, string display) => new() { Coding = [new Coding(system, code, display)] };

    static string DeterministicId(params string?[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', parts)));
        return $"{parts[0]}-{Convert.ToHexStringLower(hash)[..32]}";
    }
}
