using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Symphony.Coders;
using Symphony.Coders.Lexicon;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Intake;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Review;

/// <summary>
/// POST /DocumentReference/{id}/$review (and /Encounter/{id}/$review for its notes): a person's accept / reject / add decisions on the codes of one coded note version,
/// checked whole (nothing is written if one is wrong), then stored with the Conditions and Procedures they change and the
/// encounter's Claim rebuilt from the reviewed codes, in one transaction. Answers the note's codes as they now stand.
/// </summary>
public static class ReviewOperation
{
    static readonly FhirJsonDeserializer Json = new();

    /// <summary>One note under review: what the machine coded on that version, what people decided before, the decisions of this review.</summary>
    public sealed record NoteReview(string DocumentId, int Version, DocumentReference Document, string EncounterId, Encounter Encounter,
        ResourceReference Patient, string Text, IReadOnlyList<AnsweredCode> Machine, IReadOnlyList<CodingDecision> Earlier, Coder Coder, CodeSystemVersions Versions)
    {
        public List<CodingDecision> Decisions { get; } = [];
        public string NoteVersion => $"DocumentReference/{DocumentId}/_history/{Version}";
        public IReadOnlyList<ReviewedCode> Before => ReviewedCodes.Apply(Machine, Earlier);
        public IReadOnlyList<ReviewedCode> After => ReviewedCodes.Apply(Machine, [.. Earlier, .. Decisions]);
    }

    public static async Task<IResult> ReviewNoteAsync(string id, HttpRequest http, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct)
    {
        var (inputs, askedVersion) = ReviewRequest.Read(await FhirSerialization.ReadResourceAsync(http, fhir.Value.MaxBodyBytes, ct));
        if (inputs.FirstOrDefault(i => i.Note is not null && i.Note != id) is { } elsewhere)
            throw FhirException.BadRequest($"A decision names DocumentReference/{elsewhere.Note}: DocumentReference/{id}/$review decides on that note only.");
        var note = await DecideAsync(http, services, id, askedVersion, inputs, ct);
        return FhirResult.Of(StatusCodes.Status200OK, Answer(note.DocumentId, note.Version, note.After));
    }

    /// <summary>
    /// A person's decisions on one note version (default: the current one), however they were sent — $review, or a PUT of a
    /// Condition the coding wrote: the scopes they need, each checked against the note (nothing is written if one is wrong), then
    /// stored with what they change and the Claim rebuilt, in one transaction. Returns the note as now reviewed.
    /// </summary>
    public static async Task<NoteReview> DecideAsync(HttpRequest http, IServiceProvider services, string documentId, int? version, IReadOnlyList<ReviewInput> inputs, CancellationToken ct)
    {
        DemandScopes(http, services, inputs);
        var note = await LoadNoteAsync(services, documentId, version, ct);
        var reviewer = Reviewer.Of(http.HttpContext);
        var at = DateTimeOffset.UtcNow;
        var problems = new List<string>();
        foreach (var (input, n) in inputs.Select((d, i) => (d, i + 1)))
            Check(note, input, n, reviewer, at, problems);
        ThrowIfAny(problems);
        await CommitAsync(services.GetRequiredService<IResourceStore>(), [note], note.EncounterId, reviewer, at, ct);
        return note;
    }

    /// <summary>The note's version (default: its current one) as coded and reviewed so far; 404 for an unknown note, 422 if that version is not the coded one.</summary>
    public static async Task<NoteReview> LoadNoteAsync(IServiceProvider services, string documentId, int? version, CancellationToken ct)
    {
        var store = services.GetRequiredService<IResourceStore>();
        var current = await store.ReadAsync("DocumentReference", documentId, ct);
        if (current is null || current.IsDeleted) throw FhirException.NotFound($"DocumentReference/{documentId} is not known.");
        return await LoadAsync(store, services, documentId, version ?? current.VersionId, ct);
    }

    /// <summary>
    /// POST /Encounter/{id}/$review: decisions on the codes of every coded note of the encounter. A decision with a 'note'
    /// part is on that note; without one, an accept or reject applies to each note whose codes include the code (an add,
    /// whose spans are in one note's text, must name it). Each note's current version is reviewed.
    /// </summary>
    public static async Task<IResult> ReviewEncounterAsync(string id, HttpRequest http, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct)
    {
        var store = services.GetRequiredService<IResourceStore>();
        var (inputs, askedVersion) = ReviewRequest.Read(await FhirSerialization.ReadResourceAsync(http, fhir.Value.MaxBodyBytes, ct));
        if (askedVersion is not null) throw FhirException.BadRequest("Encounter/$review reviews each note's current version: 'noteVersion' is for DocumentReference/$review.");
        if (inputs.FirstOrDefault(i => i.Note is null && (i.Action == ReviewAction.Add || i.Spans is not null)) is { } unplaced)
            throw FhirException.BadRequest($"Decision on {unplaced.Code}: an add, or a decision with spans, names its note (part 'note', valueReference DocumentReference/{{id}}).");
        DemandScopes(http, services, inputs);
        var encounter = await store.ReadAsync("Encounter", id, ct);
        if (encounter is null || encounter.IsDeleted) throw FhirException.NotFound($"Encounter/{id} is not known.");
        var documents = await store.SearchAsync(new SearchQuery("DocumentReference",
            [new SearchCriterion("encounter", SearchParamKind.Reference, [new SearchValue("Encounter", id)])], Count: 1000), ct);
        var notes = new List<NoteReview>();
        foreach (var document in documents.Matches)
        {
            try { notes.Add(await LoadAsync(store, services, document.Id, document.VersionId, ct)); }
            catch (FhirException) when (inputs.All(i => i.Note != document.Id)) { } // a note not coded yet that no decision names
        }
        var reviewer = Reviewer.Of(http.HttpContext);
        var at = DateTimeOffset.UtcNow;
        var problems = new List<string>();
        foreach (var (input, n) in inputs.Select((d, i) => (d, i + 1)))
        {
            var targets = input.Note is { } named
                ? notes.Where(note => note.DocumentId == named).ToList()
                : notes.Where(note => note.Before.Any(c => c.Code.System == input.System && c.Code.Code == input.Code)).ToList();
            if (targets.Count == 0)
                problems.Add(input.Note is { } missing
                    ? $"decision {n}: DocumentReference/{missing} is not a coded note of Encounter/{id}."
                    : $"decision {n}: {input.Code} was never suggested for a note of Encounter/{id}; add it to the note that documents it.");
            foreach (var note in targets) Check(note, input, n, reviewer, at, problems);
        }
        ThrowIfAny(problems);
        var reviewed = notes.Where(n => n.Decisions.Count > 0).ToList();
        await CommitAsync(store, reviewed, id, reviewer, at, ct);
        var answer = new Parameters();
        foreach (var note in notes)
        {
            var part = new Parameters.ParameterComponent { Name = "note", Part = [new() { Name = "document", Value = new ResourceReference(note.NoteVersion) }] };
            part.Part.AddRange(Answer(note.DocumentId, note.Version, note.After).Parameter);
            answer.Parameter.Add(part);
        }
        return FhirResult.Of(StatusCodes.Status200OK, answer);
    }

    /// <summary>Writing a decision is writing the Condition or Procedure it decides on: the token needs that scope for each.</summary>
    static void DemandScopes(HttpRequest http, IServiceProvider services, IReadOnlyList<ReviewInput> inputs)
    {
        var scopes = services.GetRequiredService<ScopePolicy>();
        foreach (var type in inputs.Select(d => d.System == CodeSystems.Icd10Pcs ? "Procedure" : "Condition").Distinct())
            scopes.Demand(http.HttpContext, type, SmartPermission.Update);
    }

    /// <summary>The note version, its coded result and earlier decisions, its text and terminology; 422 if that version is not the coded one.</summary>
    static async Task<NoteReview> LoadAsync(IResourceStore store, IServiceProvider services, string id, int version, CancellationToken ct)
    {
        var stored = await store.ReadVersionAsync("DocumentReference", id, version, ct);
        if (stored?.Json is null) throw Unprocessable(OperationOutcome.IssueType.NotFound, $"DocumentReference/{id} has no version {version}.");
        var document = Json.Deserialize<DocumentReference>(stored.Json);

        (CodedNote Note, string EncounterId)? coded = null;
        IReadOnlyList<CodingDecision> earlier = [];
        await store.ReadSqlAsync(async (tx, c) =>
        {
            coded = await CodingRequests.LastCodedAsync(tx, id, c);
            earlier = await CodingDecisions.ForNoteAsync(tx, id, version, c);
        }, ct);
        if (coded is not { } last || last.Note.Version != version)
            throw Unprocessable(OperationOutcome.IssueType.BusinessRule, coded is null
                ? $"DocumentReference/{id} has not been coded yet: there is nothing to review."
                : $"DocumentReference/{id} version {version} is not the coded version (its codes are of version {coded.Value.Note.Version}); review that version or code this one first.");
        var encounterId = last.EncounterId;
        var encounter = await ReadAsync<Encounter>(store, "Encounter", encounterId, ct)
            ?? throw Unprocessable(OperationOutcome.IssueType.NotFound, $"Encounter/{encounterId}, the note's encounter, is not stored.");
        var text = await NoteTextReader.ReadAsync(document, (binaryId, c) => ReadAsync<Binary>(store, "Binary", binaryId, c), ct);
        if (text.Text is null) throw Unprocessable(OperationOutcome.IssueType.Processing, text.Error ?? "The note has no text.");
        var machine = CodingParameters.Read(Json.Deserialize<Parameters>(last.Note.ResultJson));
        var (coder, versions) = await services.GetRequiredService<CoderCatalog>().ForAsync(EncounterContext.ServiceDate(encounter, document), ct);
        var patient = new ResourceReference((document.Subject ?? encounter.Subject)?.Reference
            ?? throw Unprocessable(OperationOutcome.IssueType.Required, "Neither the DocumentReference nor its Encounter names the patient (subject)."));
        return new NoteReview(id, version, document, encounterId, encounter, patient, text.Text, machine, earlier, coder, versions);
    }

    /// <summary>Checks one decision against the note (terminology, spans, was it suggested) and adds it, or says what is wrong.</summary>
    static void Check(NoteReview note, ReviewInput input, int n, Reviewer reviewer, DateTimeOffset at, List<string> problems)
    {
        var display = note.Coder.CodeDisplay(input.System, input.Code);
        if (display is null) { problems.Add($"decision {n}: {input.System}|{input.Code} is not a code of the terminology this note is coded with."); return; }
        var known = note.Before.FirstOrDefault(c => c.Code.System == input.System && c.Code.Code == input.Code);
        if (input.Action != ReviewAction.Add && known is null)
        {
            problems.Add($"decision {n}: {input.Code} was never suggested for DocumentReference/{note.DocumentId} version {note.Version}; add it instead.");
            return;
        }
        IReadOnlyList<EvidenceSpan> spans;
        if (input.Spans is { } given)
        {
            var outside = given.Where(s => s.Offset < 0 || s.Length <= 0 || s.Offset + s.Length > note.Text.Length).ToList();
            if (outside.Count > 0)
            {
                problems.Add($"decision {n}: span {outside[0].Offset}+{outside[0].Length} is outside the note text of DocumentReference/{note.DocumentId} version {note.Version} ({note.Text.Length} characters).");
                return;
            }
            spans = given.Select(s => new EvidenceSpan(s.Offset, s.Length, note.Text.Substring(s.Offset, s.Length))).ToList();
        }
        else if (input.Action == ReviewAction.Accept && known!.Code.Spans.Count == 0)
        {
            problems.Add($"decision {n}: {input.Code} has no evidence in DocumentReference/{note.DocumentId} version {note.Version} (the words it was decided on changed); accept it with its 'span's.");
            return;
        }
        else
        {
            // Accept or reject without spans: the machine's, one decision per mention, as a reviewer giving spans sends them
            // (the site lexicon reads each decision's spans as one phrase).
            foreach (var mention in known!.Code.Spans.Skip(1))
                note.Decisions.Add(new CodingDecision(note.DocumentId, note.Version, input.System, input.Code, known.Code.Display, input.Action, [mention], input.Reason, reviewer.Id, at, n));
            spans = known.Code.Spans.Take(1).ToList();
        }
        note.Decisions.Add(new CodingDecision(note.DocumentId, note.Version, input.System, input.Code, known?.Code.Display ?? display, input.Action, spans, input.Reason, reviewer.Id, at, n));
    }

    static void ThrowIfAny(List<string> problems)
    {
        if (problems.Count > 0)
            throw new FhirException(StatusCodes.Status422UnprocessableEntity, new OperationOutcome
            {
                Issue = problems.Select(p => new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = OperationOutcome.IssueType.Invalid, Diagnostics = p }).ToList(),
            });
    }

    /// <summary>The decided resources of every reviewed note, the encounter's Claim rebuilt from the reviewed codes, and the decision rows: one transaction.</summary>
    static async System.Threading.Tasks.Task CommitAsync(IResourceStore store, IReadOnlyList<NoteReview> notes, string encounterId, Reviewer reviewer, DateTimeOffset at, CancellationToken ct)
    {
        if (notes.Count == 0) return;
        var writes = new List<ResourceWrite>();
        foreach (var note in notes)
        {
            var context = new ReviewWrites.Context(note.Document, note.NoteVersion, note.Patient, note.EncounterId, reviewer, at);
            // The last decision on a code in this review decides what its resource becomes.
            foreach (var decision in ReviewedCodes.Last(note.Decisions).Values)
            {
                var reference = WriteBack.ResourceFor(note.DocumentId, decision.System, decision.Code).Split('/');
                var resource = await ReadAsync<Resource>(store, reference[0], reference[1], ct);
                var codeVersion = note.Machine.FirstOrDefault(m => m.System == decision.System && m.Code == decision.Code)?.Version ?? note.Versions.For(decision.System);
                writes.AddRange(ReviewWrites.For(decision, codeVersion, resource, context).Select(r => ResourceWrite.Upsert(r)));
            }
        }

        var first = notes[0];
        var claimId = WriteBack.ClaimId(encounterId);
        var existingClaim = await ReadAsync<Claim>(store, "Claim", claimId, ct);
        var claimInput = new WriteBackInput(first.Document, first.Encounter, first.Patient, existingClaim?.Insurance.FirstOrDefault()?.Coverage,
            CodingResult.Empty, first.Versions, CoderIdentity.Embedded, at);
        var reviewedSources = notes.Select(n => ReviewedCodes.Claimed(n.NoteVersion, n.After)).ToList();
        var reviewedDocuments = notes.Select(n => $"DocumentReference/{n.DocumentId}/_history/").ToList();
        Provenance? claimProvenance = null;
        writes.Insert(0, ResourceWrite.UpsertBuilt("Claim", claimId, async (tx, c) =>
        {
            // As the coding write-back builds it, under the Claim's lock, from every note's reviewed codes.
            var others = (await ReviewedCodes.OtherNotesAsync(tx, encounterId, "", c))
                .Where(o => !reviewedDocuments.Any(d => o.NoteVersion.StartsWith(d, StringComparison.Ordinal)));
            var all = others.Concat(reviewedSources).OrderBy(n => n.NoteVersion, StringComparer.Ordinal).ToList();
            var (claim, provenance) = WriteBack.EncounterClaim(claimInput, all);
            claimProvenance = provenance;
            return claim;
        }));
        writes.Insert(1, ResourceWrite.UpsertBuilt("Provenance", WriteBack.ProvenanceId("Claim", claimId), (_, _) => System.Threading.Tasks.Task.FromResult<Resource>(claimProvenance!)));
        await store.WriteAsync(writes, (tx, c) => CodingDecisions.InsertAsync(tx, notes.SelectMany(n => n.Decisions).ToList(), c), ct);
    }

    /// <summary>The note's codes as they now stand: each with its review state, spans and the resource it is written as.</summary>
    public static Parameters Answer(string documentId, int version, IReadOnlyList<ReviewedCode> codes)
    {
        var answer = new Parameters();
        answer.Parameter.Add(new() { Name = "noteVersion", Value = new FhirString(version.ToString(System.Globalization.CultureInfo.InvariantCulture)) });
        foreach (var code in codes)
        {
            var parts = new List<Parameters.ParameterComponent>
            {
                new() { Name = "code", Value = new Coding(code.Code.System, code.Code.Code, code.Code.Display) { Version = code.Code.Version } },
                new() { Name = "review", Value = new Code(ReviewedCodes.Name(code.State)) },
                new() { Name = "resource", Value = new ResourceReference(WriteBack.ResourceFor(documentId, code.Code.System, code.Code.Code)) },
            };
            if (code.Decision is { } decision)
            {
                parts.Add(new() { Name = "reviewer", Value = new FhirString(decision.Reviewer) });
                if (decision.Reason is { } reason) parts.Add(new() { Name = "reason", Value = new FhirString(reason) });
            }
            parts.AddRange(code.Code.Spans.Select(span => new Parameters.ParameterComponent
            {
                Name = "span",
                Part = [new() { Name = "offset", Value = new Integer(span.Start) }, new() { Name = "length", Value = new Integer(span.Length) }, new() { Name = "text", Value = new FhirString(span.Text) }],
            }));
            answer.Parameter.Add(new() { Name = "code", Part = parts });
        }
        return answer;
    }

    static FhirException Unprocessable(OperationOutcome.IssueType type, string message) =>
        new(StatusCodes.Status422UnprocessableEntity, Outcomes.Error(type, message));

    static async Task<T?> ReadAsync<T>(IResourceStore store, string type, string id, CancellationToken ct) where T : Resource
    {
        var stored = await store.ReadAsync(type, id, ct);
        return stored is { IsDeleted: false, Json: { } json } ? (T)FhirSerialization.ParseStored(json) : null;
    }
}
