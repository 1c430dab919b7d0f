using System.Data.Common;
using Symphony.Coders;
using Symphony.Coders.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Intake;
using Symphony.Fhir.Server.Review;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Telemetry;
using FhirTask = Hl7.Fhir.Model.Task;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>A request that cannot succeed as it stands (unreadable note, no encounter named): it fails with this message on its Task.</summary>
public sealed class CodingFailure(string message) : Exception(message);

/// <summary>The request was cancelled or re-opened for a newer version while it was coded: its write-back is rolled back.</summary>
public sealed class StaleRequest(string message) : Exception(message);

/// <summary>
/// Codes one claimed request: reads the note and its encounter, codes the text, and writes back the
/// Conditions, Claim, Provenance and the request's Task in one transaction that also marks the request done.
/// </summary>
public sealed class CodingPipeline(IResourceStore store, CodingRequests requests, CoderCatalog coders, AgentCoding agents,
    Microsoft.Extensions.Options.IOptions<CodingLanguageOptions> languages, ILogger<CodingPipeline> logger)
{
    public const int MaxAttempts = 5;
    /// <summary>Task.code of coding Tasks: "code-note" (a note or inline text), "code-encounter-notes".</summary>
    public const string TaskCodeSystem = "https://symphony-fhir.dev/CodeSystem/coding-task";
    /// <summary>Task.businessStatus of an on-hold coding Task: "waiting-for-encounter".</summary>
    public const string BusinessStatusSystem = "https://symphony-fhir.dev/CodeSystem/coding-task-business-status";
    /// <summary>Task.output type text of the site lexicon version a note was coded with (its export URL).</summary>
    public const string SiteLexiconOutput = "site lexicon";
    static readonly FhirJsonDeserializer Deserializer = new();

    /// <summary>Codes the request; permanent failures are recorded on the request and its Task, transient ones hand it back.</summary>
    public async System.Threading.Tasks.Task ProcessAsync(CodingRequest request, CancellationToken ct)
    {
        using var job = CodingTelemetry.StartJob(request);
        try
        {
            switch (request.FocusType)
            {
                case "DocumentReference": await CodeDocumentAsync(request, job, ct); break;
                case "Encounter": await CodeEncounterNotesAsync(request, ct); break;
                case "Binary": await CodeInlineTextAsync(request, ct); break;
                default: throw new CodingFailure($"Cannot code a {request.FocusType}.");
            }
        }
        catch (StaleRequest stale)
        {
            job.Outcome = CodingTelemetry.Outcomes.Stale;
            logger.LogInformation("{Request} not written: {Reason}", request.Id, stale.Message);
        }
        catch (Exception e) when (e is CodingFailure || (request.Attempts >= MaxAttempts && e is not OperationCanceledException))
        {
            job.Outcome = CodingTelemetry.Outcomes.Failed;
            logger.LogWarning("{Request} failed: {Error}", request.Id, e.Message);
            await FailAsync(request, e.Message, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            job.Outcome = CodingTelemetry.Outcomes.Retry;
            logger.LogWarning(e, "{Request} attempt {Attempt} failed; it will be retried", request.Id, request.Attempts);
            try { await requests.ReleaseAsync(request, CancellationToken.None); }
            catch (Exception releaseError) { logger.LogWarning("Could not hand back {Request} ({Error}); its lease will expire", request.Id, releaseError.Message); }
        }
    }

    async System.Threading.Tasks.Task CodeDocumentAsync(CodingRequest request, CodingTelemetry.CodingJobTelemetry job, CancellationToken ct)
    {
        job.Stage(CodingTelemetry.Stages.Decode);
        var document = await ReadAsync<DocumentReference>("DocumentReference", request.FocusId, ct)
            ?? throw new CodingFailure($"DocumentReference/{request.FocusId} no longer exists.");
        var language = NoteLanguage.Of(document, languages.Value.Default);
        var encounterReference = document.Context?.Encounter.FirstOrDefault()?.Reference
            ?? throw new CodingFailure("DocumentReference.context.encounter is missing: the note needs its Encounter to be coded and written back.");
        var encounterId = IdOf(encounterReference, "Encounter")
            ?? throw new CodingFailure($"DocumentReference.context.encounter '{encounterReference}' is not a reference to an Encounter on this server.");
        var encounter = await ReadAsync<Encounter>("Encounter", encounterId, ct);
        if (encounter is null)
        {
            try
            {
                await WaitForEncounterAsync(request, document, encounterId, ct);
                job.Outcome = CodingTelemetry.Outcomes.Waiting;
                return;
            }
            catch (EncounterArrived)
            {
                encounter = await ReadAsync<Encounter>("Encounter", encounterId, ct)
                    ?? throw new InvalidOperationException($"Encounter/{encounterId} was stored and deleted again while the note was read"); // retried
            }
        }
        var patient = (document.Subject ?? encounter.Subject)?.Reference
            ?? throw new CodingFailure("Neither the DocumentReference nor its Encounter names the patient (subject).");

        var text = await NoteTextReader.ReadAsync(document, ReadBinaryAsync, ct);
        if (text.Error is not null) throw new CodingFailure(text.Error);

        var serviceDate = EncounterContext.ServiceDate(encounter, document);
        var (coder, versions, allowed) = await TerminologyForAsync(coders.Configured, serviceDate, ct);
        var options = new CodingOptions { Setting = EncounterContext.Setting(encounter), Language = language, AllowedCodes = allowed, StatusCodes = coders.StatusCodes };
        job.Stage(CodingTelemetry.Stages.Code);
        var (result, identity, run) = await agents.CodeAsync(coder, text.Text!, options, agents.ModeFor(request.Mode), ct);

        job.Stage(CodingTelemetry.Stages.WriteBack);
        // The machine never overrides a person: codes decided on for this note version keep the resources the reviewer left,
        // and a rejected code is not suggested again. A new version not yet decided on first takes over the decisions of the
        // newest earlier reviewed version whose evidence is still at the same words, and marks the others for review.
        var documentVersion = int.Parse(document.Meta!.VersionId!, System.Globalization.CultureInfo.InvariantCulture);
        IReadOnlyList<CodingDecision> decisions = [];
        (int Version, IReadOnlyList<CodingDecision> Decisions)? reviewedBefore = null;
        await store.ReadSqlAsync(async (tx, c) =>
        {
            decisions = await CodingDecisions.ForNoteAsync(tx, document.Id!, documentVersion, c);
            if (decisions.Count == 0) reviewedBefore = await CodingDecisions.NewestBeforeAsync(tx, document.Id!, documentVersion, c);
        }, ct);
        var storedDecisions = decisions.Count;
        IReadOnlyList<CodingDecision> carried = [];
        if (reviewedBefore is { } before)
        {
            var oldText = await EarlierTextAsync(document.Id!, before.Version, ct);
            carried = CarriedDecisions.Carry(before.Decisions, before.Version, oldText, text.Text!, documentVersion,
                result.Codes.Select(c => (c.System, c.Code)).ToHashSet(), DateTimeOffset.UtcNow);
            decisions = carried;
        }
        var standing = ReviewedCodes.Last(decisions);
        var marked = standing.Values.Where(d => d.Action == ReviewAction.NeedsReview).ToList();
        var decided = standing.Values.Where(d => d.Action != ReviewAction.NeedsReview).Select(d => WriteBack.ResourceFor(document.Id!, d.System, d.Code)).ToHashSet();
        var rejected = ReviewedCodes.Apply([], decisions).Where(c => c.State == ReviewState.Rejected).Select(c => (c.Code.System, c.Code.Code)).ToHashSet();
        result = result with { Codes = result.Codes.Where(c => !rejected.Contains((c.System, c.Code))).ToList() };

        var input = new WriteBackInput(document, encounter, new ResourceReference(patient), await PatientCoverageAsync(patient, ct),
            result, versions, identity, document.Meta?.LastUpdated ?? DateTimeOffset.UtcNow);
        var written = WriteBack.MapNote(input)
            .Where(r => !decided.Contains($"{r.TypeName}/{r.Id}") && !(r is Provenance p && decided.Contains(p.Target[0].Reference!)))
            .ToList();
        if (versions.SiteLexicons.TryGetValue(language, out var lexiconVersion))
            foreach (var provenance in written.OfType<Provenance>()) provenance.PolicyElement.Add(new FhirUri(CurrentSiteLexicon.Reference(language, lexiconVersion)));
        // The coder's Device is one for every note it codes, its content a function of its id: once stored it is left out
        // of the write-back, whose write lock on it would otherwise make every worker's write-back wait for the others'.
        if (written.OfType<Device>().FirstOrDefault() is { } device && await store.ReadAsync("Device", device.Id!, ct) is { IsDeleted: false })
            written.Remove(device);
        await CarryOverAsync(written, carried, marked, document, encounterId, new ResourceReference(patient), versions, ct);
        var writtenIds = written.Where(r => r is Condition or Procedure).Select(r => r.Id!).ToHashSet();
        var keptIds = decided.Select(d => d.Split('/')[1]).ToHashSet();
        foreach (var earlier in (request.WrittenIds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Where(id => !writtenIds.Contains(id) && !keptIds.Contains(id)))
            if (await ReadAsync<Resource>(WrittenType(earlier), earlier, ct) is { } superseded)
                written.Add(WriteBack.Supersede(superseded));

        var claimId = WriteBack.ClaimId(encounterId);
        var references = written.Where(r => r is Condition or Procedure).Select(r => $"{r.TypeName}/{r.Id}").Concat(decided).Distinct().Append($"Claim/{claimId}").ToList();
        var answer = CodingParameters.Build(result, versions, references, language);
        AgentCoding.Describe(answer, run);
        var thisNote = ReviewedCodes.Claimed(WriteBack.NoteVersion(document), ReviewedCodes.Apply(ClaimSource.Of(input).Codes, decisions));

        // The Claim covers every coded note of the encounter. It is made inside the transaction, under the Claim's
        // lock, from the other notes' last coded results: a note coded at the same time by another worker either
        // committed before we got the lock (and we see it) or waits for our commit (and then sees us).
        // The Claim and its Provenance go first: the store sends the writes listed before a build ahead of it, and these need none.
        Provenance? claimProvenance = null;
        var writes = new List<ResourceWrite>();
        writes.Add(ResourceWrite.UpsertBuilt("Claim", claimId, async (tx, c) =>
        {
            var notes = (await ReviewedCodes.OtherNotesAsync(tx, encounterId, request.Id, c))
                .Append(thisNote).OrderBy(n => n.NoteVersion, StringComparer.Ordinal).ToList();
            var (claim, provenance) = WriteBack.EncounterClaim(input, notes);
            claimProvenance = provenance;
            return claim;
        }));
        // Written after the Claim in the same transaction, so its build sees the Provenance the Claim's build made.
        writes.Add(ResourceWrite.UpsertBuilt("Provenance", WriteBack.ProvenanceId("Claim", claimId), (_, _) => System.Threading.Tasks.Task.FromResult<Resource>(claimProvenance!)));
        writes.AddRange(written.Select(r => ResourceWrite.Upsert(r)));
        writes.Add(ResourceWrite.Upsert(TaskFor(request, new ResourceReference(patient), FhirTask.TaskStatus.Completed, references, null, language, versions)));
        await store.WriteAsync(writes, async (tx, c) =>
        {
            // A review committed while the note was coded: roll back and code again with it, rather than overwrite it.
            if ((await CodingDecisions.ForNoteAsync(tx, document.Id!, documentVersion, c)).Count != storedDecisions)
                throw new InvalidOperationException($"{request.FocusReference} was reviewed while it was coded; it will be coded again");
            await CodingDecisions.InsertAsync(tx, carried, c);
            await CompleteOrRollBackAsync(tx, request, writtenIds, answer, c, encounterId);
        }, ct);
        logger.LogInformation("Coded {Focus} ({Request}, attempt {Attempt})", request.FocusReference, request.Id, request.Attempts);
    }

    /// <summary>
    /// What the decisions taken over from an earlier version write: each carried code's resource as its decision left it, with a
    /// Provenance quoting the moved spans in this version (as a review writes them), and each code marked for review unconfirmed
    /// and tagged — the machine's new Condition or Procedure when it suggests the code again, else the one the earlier review left.
    /// </summary>
    async System.Threading.Tasks.Task CarryOverAsync(List<Resource> written, IReadOnlyList<CodingDecision> carried, IReadOnlyList<CodingDecision> marked,
        DocumentReference document, string encounterId, ResourceReference patient, CodeSystemVersions versions, CancellationToken ct)
    {
        var noteVersion = WriteBack.NoteVersion(document);
        var at = DateTimeOffset.UtcNow;
        foreach (var decision in ReviewedCodes.Last(carried.Where(d => d.Action != ReviewAction.NeedsReview)).Values)
        {
            var reference = WriteBack.ResourceFor(document.Id!, decision.System, decision.Code).Split('/');
            var current = await ReadAsync<Resource>(reference[0], reference[1], ct);
            var context = new ReviewWrites.Context(document, noteVersion, patient, encounterId, Reviewer.Stored(decision.Reviewer), at);
            written.AddRange(ReviewWrites.For(decision, versions.For(decision.System), current, context));
        }
        foreach (var mark in marked)
        {
            var reference = WriteBack.ResourceFor(document.Id!, mark.System, mark.Code);
            var index = written.FindIndex(r => $"{r.TypeName}/{r.Id}" == reference);
            if (index >= 0) written[index] = ReviewWrites.MarkForReview(written[index], mark);
            else if (await ReadAsync<Resource>(reference.Split('/')[0], reference.Split('/')[1], ct) is { } earlier)
                written.Add(ReviewWrites.MarkForReview(earlier, mark));
        }
    }

    async Task<string?> EarlierTextAsync(string documentId, int version, CancellationToken ct)
    {
        var stored = await store.ReadVersionAsync("DocumentReference", documentId, version, ct);
        if (stored is not { IsDeleted: false, Json: { } json }) return null;
        return (await NoteTextReader.ReadAsync(Deserializer.Deserialize<DocumentReference>(json), ReadBinaryAsync, ct)).Text;
    }

    /// <summary>The type of a written id (request.WrittenIds keeps ids only): Procedures' ids start "proc-".</summary>
    static string WrittenType(string id) => id.StartsWith("proc-", StringComparison.Ordinal) ? "Procedure" : "Condition";

    /// <summary>Why a note waits: its Encounter is not stored (not yet, or deleted).</summary>
    public static string WaitingReason(string encounterId) =>
        $"Encounter/{encounterId} (the note's context.encounter) is not stored: the note is coded as soon as it is.";

    /// <summary>
    /// An EHR may send the note before its Encounter: the request waits (not claimable, so not retried) under an on-hold Task
    /// until the Encounter's write re-opens it in the same transaction (<see cref="Intake.IntakeStore"/>).
    /// </summary>
    async System.Threading.Tasks.Task WaitForEncounterAsync(CodingRequest request, DocumentReference document, string encounterId, CancellationToken ct)
    {
        var patient = document.Subject?.Reference is { } subject ? new ResourceReference(subject) : null;
        var task = TaskFor(request, patient, FhirTask.TaskStatus.OnHold, [], null);
        task.BusinessStatus = new CodeableConcept(BusinessStatusSystem, "waiting-for-encounter", "Waiting for the note's Encounter", $"waiting for Encounter/{encounterId}");
        task.StatusReason = new CodeableConcept { Text = WaitingReason(encounterId) };
        await store.WriteAsync([ResourceWrite.Upsert(task)], async (tx, c) =>
        {
            if (!await CodingRequests.WaitForEncounterAsync(tx, request, encounterId, c))
                throw new StaleRequest("cancelled or re-opened for a newer version while it was read");
        }, ct);
        logger.LogInformation("{Focus} waits for Encounter/{Encounter} ({Request})", request.FocusReference, encounterId, request.Id);
    }

    /// <summary>
    /// Runs what a note costs the worker apart from the database — decode, code, map the write-back, serialise, extract
    /// search values, compare with a stored copy — on the embedded sample note, enough times for the JIT to compile the
    /// hot paths fully. Nothing is written.
    /// </summary>
    public void WarmUp(int rounds = 30)
    {
        var document = Fhir.SampleResources.Load<DocumentReference>();
        document.Meta = new Meta { VersionId = "1", LastUpdated = DateTimeOffset.UtcNow };
        var encounter = Fhir.SampleResources.Load<Encounter>();
        var attachment = document.Content[0].Attachment;
        var text = NoteTextReader.Decode(attachment.Data ?? [], attachment.ContentType).Text ?? "";
        // Run off the request path (the sweeper's warm-up task), so waiting here holds up no request.
        var (coder, versions) = coders.ForAsync(EncounterContext.ServiceDate(encounter, document), CancellationToken.None).GetAwaiter().GetResult();
        var serializer = new FhirJsonSerializer();
        for (var i = 0; i < rounds; i++)
        {
            var result = coder.Code(text, new CodingOptions { Setting = EncounterContext.Setting(encounter), Language = languages.Value.Default, StatusCodes = coders.StatusCodes });
            var input = new WriteBackInput(document, encounter, document.Subject!, null, result, versions, CoderIdentity.Embedded, document.Meta.LastUpdated.Value);
            foreach (var resource in WriteBack.Map(input))
            {
                var json = serializer.SerializeToString(resource);
                SearchParameters.Extract(resource);
                Deserializer.DeserializeResource(json).IsExactly(resource);
            }
            CodingParameters.Build(result, versions, []).ToJson();
        }
    }

    /// <summary>Encounter/$code: the encounter's notes are coded one by one, each as its own request (so each succeeds or fails alone).</summary>
    async System.Threading.Tasks.Task CodeEncounterNotesAsync(CodingRequest request, CancellationToken ct)
    {
        var notes = await store.SearchAsync(new SearchQuery("DocumentReference",
            [new SearchCriterion("encounter", SearchParamKind.Reference, [new SearchValue("Encounter", request.FocusId)])], Count: 1000), ct);
        if (notes.Matches.Count == 0)
        {
            // No notes yet: each is coded as it comes.
            await store.WriteAsync([], (tx, c) => CompleteOrRollBackAsync(tx, request, [], new Parameters(), c), ct);
            return;
        }
        var answer = new Parameters();
        foreach (var note in notes.Matches)
            answer.Parameter.Add(new Parameters.ParameterComponent { Name = "note", Value = new ResourceReference($"DocumentReference/{note.Id}") });
        var task = TaskFor(request, null, FhirTask.TaskStatus.Completed, notes.Matches.Select(n => $"DocumentReference/{n.Id}").ToList(), null);
        await store.WriteAsync([ResourceWrite.Upsert(task)], async (tx, c) =>
        {
            foreach (var note in notes.Matches)
                await CodingRequests.RecordAsync(tx, "DocumentReference", note.Id, note.VersionId, c, request.Mode);
            await CompleteOrRollBackAsync(tx, request, [], answer, c);
        }, ct);
    }

    /// <summary>Inline text from a type-level $code: coded and answered, nothing written back.</summary>
    async System.Threading.Tasks.Task CodeInlineTextAsync(CodingRequest request, CancellationToken ct)
    {
        var binary = await ReadAsync<Binary>("Binary", request.FocusId, ct) ?? throw new CodingFailure($"Binary/{request.FocusId} no longer exists.");
        var text = NoteTextReader.Decode(binary.Data ?? [], binary.ContentType);
        if (text.Error is not null) throw new CodingFailure(text.Error);
        var setting = binary.Meta?.Tag.Any(t => t.Code == "inpatient") == true ? CareSetting.Inpatient : CareSetting.Outpatient;
        var date = binary.Meta?.Tag.FirstOrDefault(t => t.System == CodeOperation.ServiceDateTag)?.Code is { } d && DateOnly.TryParse(d, out var parsed) ? parsed : DateOnly.FromDateTime(DateTime.UtcNow);
        var systems = binary.Meta?.Tag.Where(t => t.System == CodeOperation.SystemTag).Select(t => t.Code).OfType<string>().ToList() ?? [];
        var valueSet = binary.Meta?.Tag.FirstOrDefault(t => t.System == CodeOperation.ValueSetTag)?.Code;
        var configured = coders.Configured;
        var (coder, versions, allowed) = await TerminologyForAsync(new CodingTerminology(systems.Count > 0 ? systems : configured.Systems, valueSet ?? configured.ValueSet), date, ct);
        var mode = binary.Meta?.Tag.FirstOrDefault(t => t.System == AgentCoding.ModeTag)?.Code;
        var language = NoteLanguage.Of(binary, languages.Value.Default);
        var (result, _, run) = await agents.CodeAsync(coder, text.Text!, new CodingOptions { Setting = setting, Language = language, AllowedCodes = allowed, StatusCodes = coders.StatusCodes }, agents.ModeFor(mode), ct);
        var answer = CodingParameters.Build(result, versions, [], language);
        AgentCoding.Describe(answer, run);
        await store.WriteAsync([ResourceWrite.Upsert(TaskFor(request, null, FhirTask.TaskStatus.Completed, [], null, language, versions))],
            (tx, c) => CompleteOrRollBackAsync(tx, request, [], answer, c), ct);
    }

    /// <summary>The coder for what a note is coded with; a system or ValueSet the server does not hold fails the request, saying how to load it.</summary>
    async Task<(Coder Coder, CodeSystemVersions Versions, AllowedCodes? Allowed)> TerminologyForAsync(CodingTerminology terminology, DateOnly date, CancellationToken ct)
    {
        try
        {
            var ((coder, versions), allowed) = await coders.ForAsync(terminology, date, ct);
            return (coder, versions, allowed);
        }
        catch (Symphony.Terminology.Services.TerminologyNotFoundException missing)
        {
            throw new CodingFailure(CoderCatalog.HowToLoad(missing));
        }
    }

    static async System.Threading.Tasks.Task CompleteOrRollBackAsync(DbTransaction tx, CodingRequest request, IEnumerable<string> writtenIds, Parameters answer, CancellationToken ct, string? encounterId = null)
    {
        if (!await CodingRequests.CompleteAsync(tx, request, string.Join(',', writtenIds), answer.ToJson(), encounterId, ct))
            throw new StaleRequest("cancelled, re-opened for a newer version, or claimed by another worker after the lease ran out");
    }

    async System.Threading.Tasks.Task FailAsync(CodingRequest request, string error, CancellationToken ct)
    {
        var outcome = Fhir.Outcomes.Error(OperationOutcome.IssueType.Processing, error);
        var task = TaskFor(request, null, FhirTask.TaskStatus.Failed, [], outcome);
        try
        {
            await store.WriteAsync([ResourceWrite.Upsert(task)], async (tx, c) =>
            {
                if (!await CodingRequests.FailAsync(tx, request, error, c)) throw new StaleRequest("no longer claimed");
            }, ct);
        }
        catch (StaleRequest) { }
    }

    /// <summary>The Task that tracks a request (Task?focus=…): one per focus, its history holding each earlier request.</summary>
    static FhirTask TaskFor(CodingRequest request, ResourceReference? patient, FhirTask.TaskStatus status, IReadOnlyList<string> outputs, OperationOutcome? failure,
        Language? language = null, CodeSystemVersions? versions = null)
    {
        var task = new FhirTask
        {
            Id = request.Id,
            Status = status,
            Intent = FhirTask.TaskIntent.Order,
            Code = new CodeableConcept(TaskCodeSystem, request.FocusType == "Encounter" ? "code-encounter-notes" : "code-note", "Code the clinical note with ICD-10-CM/PCS"),
            Focus = new ResourceReference(request.FocusReference),
            For = patient is null ? null : new ResourceReference(patient.Reference),
            Input = [new FhirTask.ParameterComponent { Type = new CodeableConcept { Text = "focus version" }, Value = new FhirString(request.FocusVersion.ToString()) }],
            Output = outputs.Select(o => new FhirTask.OutputComponent { Type = new CodeableConcept { Text = "written" }, Value = new ResourceReference(o) }).ToList(),
        };
        if (language is { } coded)
            task.Input.Add(new FhirTask.ParameterComponent { Type = new CodeableConcept { Text = "language" }, Value = new Code(coded.ToCode()) });
        if (failure is not null)
        {
            failure.Id = "outcome";
            task.Contained.Add(failure);
            task.StatusReason = new CodeableConcept { Text = failure.Issue[0].Diagnostics };
            task.Output.Add(new FhirTask.OutputComponent { Type = new CodeableConcept { Text = "error" }, Value = new ResourceReference("#outcome") });
        }
        if (versions is not null)
        {
            task.Note.Add(new Annotation { Text = new Markdown($"Coded with {versions.Describe()}.") });
            if (versions.Note is { } why) task.Note.Add(new Annotation { Text = new Markdown(char.ToUpperInvariant(why[0]) + why[1..] + ".") });
            if (language is { } lexiconLanguage && versions.SiteLexicons.TryGetValue(lexiconLanguage, out var lexiconVersion))
                task.Output.Add(new FhirTask.OutputComponent { Type = new CodeableConcept { Text = SiteLexiconOutput }, Value = new FhirUri(CurrentSiteLexicon.Reference(lexiconLanguage, lexiconVersion)) });
        }
        return task;
    }

    async Task<ResourceReference?> PatientCoverageAsync(string patientReference, CancellationToken ct)
    {
        if (IdOf(patientReference, "Patient") is not { } patientId) return null;
        var page = await store.SearchAsync(new SearchQuery("Coverage",
            [new SearchCriterion("patient", SearchParamKind.Reference, [new SearchValue("Patient", patientId)])], Count: 1, CountAll: false), ct);
        return page.Matches.Count == 0 ? null : new ResourceReference($"Coverage/{page.Matches[0].Id}");
    }

    async Task<Binary?> ReadBinaryAsync(string id, CancellationToken ct) => await ReadAsync<Binary>("Binary", id, ct);

    async Task<T?> ReadAsync<T>(string type, string id, CancellationToken ct) where T : Resource
    {
        var stored = await store.ReadAsync(type, id, ct);
        return stored is { IsDeleted: false, Json: { } json } ? Deserializer.Deserialize<T>(json) : null;
    }

    /// <summary>"Encounter/123" or "http://host/fhir/Encounter/123" → "123"; anything else (conditional, other type) → null.</summary>
    static string? IdOf(string reference, string type) =>
        SearchParameters.ParseReference(reference) is ({ } referenced, var id) && referenced == type ? id : null;
}
