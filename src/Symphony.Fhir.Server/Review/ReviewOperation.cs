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
/// POST /DocumentReference/{id}/$review: a person's accept / reject / add decisions on the codes of one coded note version,
/// checked whole (nothing is written if one is wrong), then stored with the Conditions and Procedures they change and the
/// encounter's Claim rebuilt from the reviewed codes, in one transaction. Answers the note's codes as they now stand.
/// </summary>
public static class ReviewOperation
{
    static readonly FhirJsonDeserializer Json = new();

    public static async Task<IResult> ReviewNoteAsync(string id, HttpRequest http, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct)
    {
        var store = services.GetRequiredService<IResourceStore>();
        var (inputs, askedVersion) = ReviewRequest.Read(await FhirSerialization.ReadResourceAsync(http, fhir.Value.MaxBodyBytes, ct));
        // Writing a decision is writing the Condition or Procedure it decides on: the token needs that scope for each.
        var scopes = services.GetRequiredService<ScopePolicy>();
        foreach (var type in inputs.Select(d => d.System == CodeSystems.Icd10Pcs ? "Procedure" : "Condition").Distinct())
            scopes.Demand(http.HttpContext, type, SmartPermission.Update);

        var current = await store.ReadAsync("DocumentReference", id, ct);
        if (current is null || current.IsDeleted) throw FhirException.NotFound($"DocumentReference/{id} is not known.");
        var version = askedVersion ?? current.VersionId;
        var stored = await store.ReadVersionAsync("DocumentReference", id, version, ct)
            ?? throw Unprocessable(OperationOutcome.IssueType.NotFound, $"DocumentReference/{id} has no version {version}.");
        var document = Json.Deserialize<DocumentReference>(stored.Json!);

        (CodedNote Note, string EncounterId)? coded = null;
        IReadOnlyList<CodingDecision> earlier = [];
        await store.WriteAsync([], async (tx, c) =>
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

        var reviewer = Reviewer.Of(http.HttpContext);
        var at = DateTimeOffset.UtcNow;
        var problems = new List<string>();
        var decisions = new List<CodingDecision>();
        var before = ReviewedCodes.Apply(machine, earlier);
        foreach (var (input, n) in inputs.Select((d, i) => (d, i + 1)))
        {
            var display = Display(coder, input.System, input.Code);
            if (display is null) { problems.Add($"decision {n}: {input.System}|{input.Code} is not a code of the terminology this note is coded with."); continue; }
            var known = before.FirstOrDefault(c => c.Code.System == input.System && c.Code.Code == input.Code);
            if (input.Action != ReviewAction.Add && known is null)
            {
                problems.Add($"decision {n}: {input.Code} was never suggested for DocumentReference/{id} version {version}; add it instead.");
                continue;
            }
            IReadOnlyList<EvidenceSpan> spans;
            if (input.Spans is { } given)
            {
                var outside = given.Where(s => s.Offset < 0 || s.Length <= 0 || s.Offset + s.Length > text.Text.Length).ToList();
                if (outside.Count > 0)
                {
                    problems.Add($"decision {n}: span {outside[0].Offset}+{outside[0].Length} is outside the note text of version {version} ({text.Text.Length} characters).");
                    continue;
                }
                spans = given.Select(s => new EvidenceSpan(s.Offset, s.Length, text.Text.Substring(s.Offset, s.Length))).ToList();
            }
            else spans = known!.Code.Spans; // accept or reject without spans: the machine's
            decisions.Add(new CodingDecision(id, version, input.System, input.Code, known?.Code.Display ?? display, input.Action, spans, input.Reason, reviewer.Id, at, n));
        }
        if (problems.Count > 0)
            throw new FhirException(StatusCodes.Status422UnprocessableEntity, new OperationOutcome
            {
                Issue = problems.Select(p => new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = OperationOutcome.IssueType.Invalid, Diagnostics = p }).ToList(),
            });

        var noteVersion = $"DocumentReference/{id}/_history/{version}";
        var patient = new ResourceReference((document.Subject ?? encounter.Subject)?.Reference
            ?? throw Unprocessable(OperationOutcome.IssueType.Required, "Neither the DocumentReference nor its Encounter names the patient (subject)."));
        var context = new ReviewWrites.Context(document, noteVersion, patient, encounterId, reviewer, at);
        var writes = new List<ResourceWrite>();
        // The last decision on a code in this review decides what its resource becomes.
        foreach (var decision in decisions.GroupBy(d => (d.System, d.Code)).Select(g => g.Last()))
        {
            var reference = WriteBack.ResourceFor(id, decision.System, decision.Code).Split('/');
            var resource = await ReadAsync<Resource>(store, reference[0], reference[1], ct);
            var codeVersion = machine.FirstOrDefault(m => m.System == decision.System && m.Code == decision.Code)?.Version ?? versions.For(decision.System);
            writes.AddRange(ReviewWrites.For(decision, codeVersion, resource, context).Select(r => ResourceWrite.Upsert(r)));
        }

        var after = ReviewedCodes.Apply(machine, [.. earlier, .. decisions]);
        var claimId = WriteBack.ClaimId(encounterId);
        var existingClaim = await ReadAsync<Claim>(store, "Claim", claimId, ct);
        var claimInput = new WriteBackInput(document, encounter, patient, existingClaim?.Insurance.FirstOrDefault()?.Coverage,
            CodingResult.Empty, versions, CoderIdentity.Embedded, at);
        Provenance? claimProvenance = null;
        writes.Insert(0, ResourceWrite.UpsertBuilt("Claim", claimId, async (tx, c) =>
        {
            // As the coding write-back builds it, under the Claim's lock, from every note's reviewed codes.
            var notes = (await ReviewedCodes.OtherNotesAsync(tx, encounterId, CodingRequests.IdFor("DocumentReference", id), c))
                .Append(ReviewedCodes.Claimed(noteVersion, after)).OrderBy(n => n.NoteVersion, StringComparer.Ordinal).ToList();
            var (claim, provenance) = WriteBack.EncounterClaim(claimInput, notes);
            claimProvenance = provenance;
            return claim;
        }));
        writes.Insert(1, ResourceWrite.UpsertBuilt("Provenance", WriteBack.ProvenanceId("Claim", claimId), (_, _) => System.Threading.Tasks.Task.FromResult<Resource>(claimProvenance!)));
        await store.WriteAsync(writes, (tx, c) => CodingDecisions.InsertAsync(tx, decisions, c), ct);
        return FhirResult.Of(StatusCodes.Status200OK, Answer(id, version, after));
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
                new() { Name = "review", Value = new Code(code.State.ToString().ToLowerInvariant()) },
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

    /// <summary>The code's display in the note's terminology; null if it is not a code of it. A partial ICD-10-PCS code is any code's prefix of 3 to 6 characters.</summary>
    static string? Display(Coder coder, string system, string code)
    {
        var terminology = system switch
        {
            CodeSystems.Icd10Cm => coder.Icd10Cm,
            CodeSystems.Icd10Pcs => coder.Icd10Pcs,
            _ => coder.Systems.GetValueOrDefault(system),
        };
        if (terminology is null) return null;
        if (terminology.Find(code) is { } concept) return concept.Display;
        if (system == CodeSystems.Icd10Pcs && code.Length is >= 3 and < 7 && terminology.Concepts.Keys.Any(k => k.StartsWith(code, StringComparison.Ordinal)))
            return $"ICD-10-PCS {code} (partial code)";
        return null;
    }

    static FhirException Unprocessable(OperationOutcome.IssueType type, string message) =>
        new(StatusCodes.Status422UnprocessableEntity, Outcomes.Error(type, message));

    static async Task<T?> ReadAsync<T>(IResourceStore store, string type, string id, CancellationToken ct) where T : Resource
    {
        var stored = await store.ReadAsync(type, id, ct);
        return stored is { IsDeleted: false, Json: { } json } ? (T)FhirSerialization.ParseStored(json) : null;
    }
}
