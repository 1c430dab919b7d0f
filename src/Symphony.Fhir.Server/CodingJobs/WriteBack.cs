using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Symphony.Coders;
using Symphony.Coders.Lexicon;

// Not "…Server.Coding": that namespace would hide Hl7.Fhir.Model.Coding everywhere under Symphony.Fhir.Server.
namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>
/// The releases the note was coded against (by fiscal year of the encounter date); Note says so when one is not the release
/// of that fiscal year (e.g. "coded with ICD-10-CM 2024: no release for FY2027 is loaded").
/// </summary>
public sealed record CodeSystemVersions(string Icd10Cm, string Icd10Pcs, string? Note = null)
{
    /// <summary>The site lexicon version of each language the coder was given (<see cref="Review.SiteLexicons"/>).</summary>
    public IReadOnlyDictionary<Symphony.Coders.Text.Language, int> SiteLexicons { get; init; } = new Dictionary<Symphony.Coders.Text.Language, int>();

    /// <summary>Versions of the other code systems a request named (url → version).</summary>
    public IReadOnlyDictionary<string, string> Others { get; init; } = new Dictionary<string, string>();

    public string? For(string system) =>
        system == CodeSystems.Icd10Pcs ? Icd10Pcs : system == CodeSystems.Icd10Cm ? Icd10Cm : Others.GetValueOrDefault(system);

    /// <summary>"ICD-10-CM 2024 and ICD-10-PCS 2026", or the systems a request named with their versions.</summary>
    public string Describe()
    {
        var named = new List<string>();
        if (Icd10Cm.Length > 0) named.Add($"ICD-10-CM {Icd10Cm}");
        if (Icd10Pcs.Length > 0) named.Add($"ICD-10-PCS {Icd10Pcs}");
        named.AddRange(Others.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));
        return named.Count <= 1 ? named.FirstOrDefault() ?? "no code system" : $"{string.Join(", ", named[..^1])} and {named[^1]}";
    }
}

/// <summary>What one coded note writes back, and what it needs to know to do so.</summary>
public sealed record WriteBackInput(
    DocumentReference Document,
    Encounter Encounter,
    ResourceReference Patient,
    ResourceReference? PatientCoverage,
    CodingResult Result,
    CodeSystemVersions Versions,
    CoderIdentity Coder,
    DateTimeOffset Recorded);

/// <summary>A code as one note's $code answer gives it (see <see cref="CodingParameters.Read"/>).</summary>
/// <param name="Principal">The note's principal (inpatient) or first-listed (outpatient) diagnosis.</param>
public sealed record AnsweredCode(string System, string Code, string Display, string? Version, decimal Confidence, IReadOnlyList<EvidenceSpan> Spans, bool Principal = false);

/// <summary>One note's last coded codes, as the encounter's Claim sees them; NoteVersion is "DocumentReference/{id}/_history/{v}".</summary>
public sealed record ClaimSource(string NoteVersion, IReadOnlyList<AnsweredCode> Codes)
{
    /// <summary>The note's codes as its $code answer records them (confidence rounded alike), so the note just coded and the notes read back rank alike.</summary>
    public static ClaimSource Of(WriteBackInput input) =>
        new(WriteBack.NoteVersion(input.Document), CodingParameters.Read(CodingParameters.Build(input.Result, input.Versions, [])));
}

/// <summary>
/// Maps a coded note to the resources we write: a Condition per diagnosis, a Procedure per ICD-10-PCS code, a self-pay
/// Coverage when the patient has none, the coder Device, and a Provenance per Condition and Procedure quoting the evidence spans; and the
/// encounter's one Claim (with its Provenance) from every coded note of the encounter. Ids are derived from
/// the document (and code) or the encounter, so coding the same note twice writes the same resources, and a
/// new note version overwrites its earlier suggestions in place (history keeps them).
/// </summary>
public static class WriteBack
{
    public const string NoteTextPath = "DocumentReference.content[0].attachment";

    /// <summary>Everything one note writes when it is the only coded note of its encounter: <see cref="MapNote"/> and the <see cref="EncounterClaim"/>.</summary>
    public static IReadOnlyList<Resource> Map(WriteBackInput input)
    {
        var (claim, provenance) = EncounterClaim(input, [ClaimSource.Of(input)]);
        return [.. MapNote(input), claim, provenance];
    }

    /// <summary>What belongs to the note alone: the coder Device, a Condition (or Procedure) and its Provenance per code, a self-pay Coverage if the patient has none.</summary>
    public static IReadOnlyList<Resource> MapNote(WriteBackInput input)
    {
        var documentId = input.Document.Id ?? throw new ArgumentException("The DocumentReference has no id.");
        var sourceReference = NoteVersion(input.Document);
        var deviceReference = DeviceReference(input.Coder, input.Versions);
        var written = new List<Resource> { CoderDevice(input.Coder, input.Versions) };
        // ICD-10-CM codes, and the codes of any other system the note was coded with (a problem list, SNOMED CT…): a finding
        // about the patient. ICD-10-PCS codes are Procedures.
        var ranked = input.Result.Codes.Where(c => c.System != CodeSystems.Icd10Pcs).ToList();
        foreach (var diagnosis in ranked)
        {
            var condition = Condition(input, documentId, diagnosis, ranked.IndexOf(diagnosis) + 1, ranked.Count);
            written.Add(condition);
            written.Add(Provenance(condition, diagnosis.Spans.Select(span => (span, sourceReference)).ToList(), [sourceReference], CoderAgent(deviceReference), input.Recorded, input.Coder.Run));
        }
        foreach (var procedure in input.Result.Codes.Where(c => c.System == CodeSystems.Icd10Pcs))
        {
            var procedureResource = Procedure(input, documentId, procedure);
            written.Add(procedureResource);
            written.Add(Provenance(procedureResource, procedure.Spans.Select(span => (span, sourceReference)).ToList(), [sourceReference], CoderAgent(deviceReference), input.Recorded, input.Coder.Run));
        }

        if (input.PatientCoverage is null)
            written.Add(SelfPayCoverage(input.Patient));
        return written;
    }

    /// <summary>
    /// The encounter's Claim from the codes of all its coded notes: one line per code (a code found in several notes
    /// is one line, and the Claim's Provenance quotes the spans of every note that found it). Diagnoses and
    /// procedures are each ranked as the coder ranks one note's codes — a note's principal diagnosis first, then
    /// highest confidence, then the note's own order — across notes (ties between notes go to the note listed first),
    /// so diagnosis sequence 1 is the principal diagnosis the notes name (the most confident one when they name none
    /// or several).
    /// </summary>
    public static (Claim Claim, Provenance Provenance) EncounterClaim(WriteBackInput input, IReadOnlyList<ClaimSource> notes)
    {
        List<(AnsweredCode Code, List<(EvidenceSpan Span, string Note)> Quotes)> Lines(string system)
        {
            var ranked = notes
                .SelectMany((note, noteIndex) => note.Codes.Where(c => c.System == system).Select((code, rank) => (code, rank, noteIndex, note.NoteVersion)))
                .OrderByDescending(c => c.code.Principal).ThenByDescending(c => c.code.Confidence).ThenBy(c => c.rank).ThenBy(c => c.noteIndex);
            var lines = new List<(AnsweredCode Code, List<(EvidenceSpan Span, string Note)> Quotes)>();
            foreach (var (code, _, _, note) in ranked)
            {
                var at = lines.FindIndex(l => l.Code.Code == code.Code);
                if (at < 0) { lines.Add((code, [])); at = lines.Count - 1; }
                lines[at].Quotes.AddRange(code.Spans.Select(span => (span, note)));
            }
            return lines;
        }

        var diagnoses = Lines(CodeSystems.Icd10Cm);
        // A partial PCS code (a table prefix) is recorded on its Procedure but is not billable.
        var procedures = Lines(CodeSystems.Icd10Pcs).Where(l => IsComplete(l.Code.System, l.Code.Code)).ToList();
        var coverage = input.PatientCoverage ?? new ResourceReference($"Coverage/{SelfPayCoverageId(input.Patient)}");
        var claim = Claim(input, diagnoses.Select(d => d.Code).ToList(), procedures.Select(p => p.Code).ToList(), coverage);
        var quotes = diagnoses.Concat(procedures).SelectMany(l => l.Quotes).ToList();
        var sources = notes.Select(n => n.NoteVersion).ToList();
        return (claim, Provenance(claim, quotes, sources, CoderAgent(DeviceReference(input.Coder, input.Versions)), input.Recorded, input.Coder.Run));
    }

    /// <summary>"DocumentReference/{id}/_history/{version}": the exact note version evidence points to.</summary>
    public static string NoteVersion(DocumentReference document) =>
        $"DocumentReference/{document.Id ?? throw new ArgumentException("The DocumentReference has no id.")}/_history/" +
        (document.Meta?.VersionId ?? throw new ArgumentException("The DocumentReference has no version id."));

    /// <summary>The id a diagnosis of this document is written under, whatever the note version.</summary>
    public static string ConditionId(string documentId, string system, string code) => DeterministicId("cond", documentId, system, code);

    /// <summary>The id an ICD-10-PCS procedure of this document is written under, whatever the note version.</summary>
    public static string ProcedureId(string documentId, string system, string code) => DeterministicId("proc", documentId, system, code);

    /// <summary>"Condition/{id}" or "Procedure/{id}": ICD-10-PCS codes are procedures, every other system's codes findings.</summary>
    public static string ResourceFor(string documentId, string system, string code) =>
        system == CodeSystems.Icd10Pcs ? $"Procedure/{ProcedureId(documentId, system, code)}" : $"Condition/{ConditionId(documentId, system, code)}";

    /// <summary>The meta.tag of a Procedure whose ICD-10-PCS code is partial.</summary>
    public static Coding IncompleteTag() => new(ProfileUrls.CodeCompletenessTagSystem, ProfileUrls.IncompleteTagCode, "Partial ICD-10-PCS code (table prefix): not billable");

    /// <summary>An ICD-10-PCS code is complete (billable) with all 7 characters; shorter is the coder's table prefix.</summary>
    public static bool IsComplete(string system, string code) => system != CodeSystems.Icd10Pcs || code.Length == 7;

    public static string ClaimId(string encounterId) => DeterministicId("claim", encounterId);

    /// <summary>The id of the Provenance of a written Condition or Claim.</summary>
    public static string ProvenanceId(string targetType, string targetId) => DeterministicId("prov", targetType, targetId);

    /// <summary>An earlier suggestion (Condition or Procedure) the new note version no longer supports: kept, but marked entered-in-error.</summary>
    public static Resource Supersede(Resource earlier) => earlier switch
    {
        Condition condition => Supersede(condition),
        Procedure procedure => SupersedeProcedure(procedure),
        _ => throw new ArgumentException($"Cannot supersede a {earlier.TypeName}."),
    };

    static Procedure SupersedeProcedure(Procedure earlier)
    {
        var superseded = (Procedure)earlier.DeepCopy();
        superseded.Status = EventStatus.EnteredInError;
        return superseded;
    }

    public static Condition Supersede(Condition earlier)
    {
        var superseded = (Condition)earlier.DeepCopy();
        superseded.ClinicalStatus = null; // con-5: no clinical status on an entered-in-error Condition
        superseded.VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "entered-in-error", "Entered in Error");
        return superseded;
    }

    static Condition Condition(WriteBackInput input, string documentId, CodedConcept diagnosis, int rank, int of) => new()
    {
        Id = ConditionId(documentId, diagnosis.System, diagnosis.Code),
        Meta = Meta(ProfileUrls.CodedCondition),
        ClinicalStatus = ConditionStatuses.Clinical(diagnosis) is { } clinical ? new CodeableConcept { Coding = [clinical] } : null,
        VerificationStatus = new CodeableConcept { Coding = [ConditionStatuses.Verification(diagnosis)] },
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
        Note = Notes(input, diagnosis, rank, of),
    };

    /// <summary>A procedure the note documents (ICD-10-PCS): done, at the encounter; a partial code is tagged incomplete.</summary>
    static Procedure Procedure(WriteBackInput input, string documentId, CodedConcept procedure)
    {
        var meta = Meta(null);
        if (!IsComplete(procedure.System, procedure.Code))
            meta.Tag.Add(IncompleteTag());
        return new Procedure
        {
            Id = ProcedureId(documentId, procedure.System, procedure.Code),
            Meta = meta,
            Status = EventStatus.Completed,
            Code = new CodeableConcept
            {
                Coding = [new Coding(procedure.System, procedure.Code, procedure.Display) { Version = input.Versions.For(procedure.System) }],
                Text = procedure.Display,
            },
            Subject = input.Patient,
            Encounter = new ResourceReference($"Encounter/{input.Encounter.Id}"),
            Note = [new Annotation { Text = new Markdown($"Suggested by {input.Coder.Name} {input.Coder.Version} ({input.Coder.Path}), confidence {procedure.Confidence.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}.") }],
        };
    }

    /// <summary>Who suggested the code and how it ranks (and why), then the status and the rules that decided it, in a coder's words.</summary>
    static List<Annotation> Notes(WriteBackInput input, CodedConcept diagnosis, int rank, int of)
    {
        var ranking = $"Suggested by {input.Coder.Name} {input.Coder.Version} ({input.Coder.Path}), confidence {diagnosis.Confidence.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}, diagnosis {rank} of {of}"
            + (diagnosis.Basis is { } basis ? $": {basis}." : ".");
        var status = $"Status: {diagnosis.Status.ToString().ToLowerInvariant()}."
            + (diagnosis.Rules.Count > 0 ? " Rules: " + string.Join("; ", diagnosis.Rules.Select(RuleWording.Describe)) + "." : "");
        return [new Annotation { Text = new Markdown(ranking) }, new Annotation { Text = new Markdown(status) }];
    }

    static Claim Claim(WriteBackInput input, List<AnsweredCode> diagnoses, List<AnsweredCode> procedures, ResourceReference coverage)
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
                Diagnosis = new CodeableConcept { Coding = [new Coding(d.System, d.Code, d.Display) { Version = d.Version ?? input.Versions.Icd10Cm }], Text = d.Display },
                Type = [i == 0
                    ? Concept("http://terminology.hl7.org/CodeSystem/ex-diagnosistype", "principal", "Principal Diagnosis")
                    : Concept("http://terminology.hl7.org/CodeSystem/ex-diagnosistype", "clinical", "Clinical Diagnosis")],
            }).ToList(),
            Procedure = procedures.Select((p, i) => new Claim.ProcedureComponent
            {
                Sequence = i + 1,
                Procedure = new CodeableConcept { Coding = [new Coding(p.System, p.Code, p.Display) { Version = p.Version ?? input.Versions.Icd10Pcs }], Text = p.Display },
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

    static string SelfPayCoverageId(ResourceReference patient) => DeterministicId("selfpay", patient.Reference);

    static Coverage SelfPayCoverage(ResourceReference patient) => new()
    {
        Id = SelfPayCoverageId(patient),
        Status = FinancialResourceStatusCodes.Active,
        Type = Concept("http://terminology.hl7.org/CodeSystem/coverage-selfpay", "pay", "Pay"),
        Beneficiary = patient,
        Payor = [patient],
    };

    /// <summary>One Device per coder and code-system releases: the Device names the exact releases its codes come from.</summary>
    static string CoderDeviceId(CoderIdentity coder, CodeSystemVersions versions) =>
        DeterministicId("coder", coder.Name, coder.Version, coder.Path, versions.Icd10Cm, versions.Icd10Pcs);

    static ResourceReference DeviceReference(CoderIdentity coder, CodeSystemVersions versions) =>
        new($"Device/{CoderDeviceId(coder, versions)}", $"{coder.Name} {coder.Version}");

    static Device CoderDevice(CoderIdentity coder, CodeSystemVersions versions) => new()
    {
        Id = CoderDeviceId(coder, versions),
        Status = Device.FHIRDeviceStatus.Active,
        DeviceName = [new Device.DeviceNameComponent { Name = coder.Name, Type = DeviceNameType.ModelName }],
        Type = new CodeableConcept { Text = "Clinical coding software" },
        Version =
        [
            new Device.VersionComponent { Type = new CodeableConcept { Text = "software" }, Value = coder.Version },
            new Device.VersionComponent { Type = new CodeableConcept { Text = "coding path" }, Value = coder.Path },
            new Device.VersionComponent { Type = new CodeableConcept { Text = "ICD-10-CM" }, Value = versions.Icd10Cm },
            new Device.VersionComponent { Type = new CodeableConcept { Text = "ICD-10-PCS" }, Value = versions.Icd10Pcs },
        ],
    };

    /// <summary>The coder as the Provenance's assembler.</summary>
    static Provenance.AgentComponent CoderAgent(ResourceReference device) => new()
    {
        Type = Concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler"),
        Who = device,
    };

    /// <summary>Quotes each span of the note version it was found in; with no span, names the source notes.</summary>
    public static Provenance Provenance(Resource target, IReadOnlyList<(EvidenceSpan Span, string Note)> quotes, IReadOnlyList<string> sources,
        Provenance.AgentComponent agent, DateTimeOffset recorded, string? run) => new()
    {
        Activity = run is null ? null : new CodeableConcept { Text = run },
        Id = ProvenanceId(target.TypeName, target.Id!),
        Meta = new Meta { Profile = [ProfileUrls.EvidenceProvenance] },
        Target = [new ResourceReference($"{target.TypeName}/{target.Id}")],
        Recorded = recorded,
        Agent = [agent],
        Entity = quotes.Count == 0
            ? sources.Select(source => new Provenance.EntityComponent { Role = Hl7.Fhir.Model.Provenance.ProvenanceEntityRole.Source, What = new ResourceReference(source) }).ToList()
            : quotes.Select(quote => QuotationEntity(quote.Span, quote.Note)).ToList(),
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

    static Meta Meta(string? profile) => new()
    {
        Profile = profile is null ? [] : [profile],
        Tag = [new Coding(ProfileUrls.MachineSuggestedTagSystem, ProfileUrls.MachineSuggestedTagCode, "Suggested by the coder, not yet accepted")],
    };

    public static CodeableConcept Concept(string system, string code, string display) => new() { Coding = [new Coding(system, code, display)] };

    static string DeterministicId(params string?[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', parts)));
        return $"{parts[0]}-{Convert.ToHexStringLower(hash)[..32]}";
    }
}
