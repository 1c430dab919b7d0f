using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Resources;

namespace Symphony.Fhir.Server.Review;

/// <summary>
/// PUT /Condition/{id} on a Condition the coding wrote for a note (machine-suggested or added by a review) is the review decision
/// it expresses, made through $review's own path (<see cref="ReviewOperation.DecideAsync"/>): verificationStatus confirmed
/// accepts, entered-in-error or refuted rejects (an added note is the reason), a changed code rejects the old code and adds the
/// new one on the same spans. Only those elements and added notes may change: anything else is refused (422) in favour of
/// $review, since the next coding of the note would not keep it. A Condition with no coded note behind it is a plain update.
/// </summary>
public static class ConditionEdit
{
    public const string Route = "/Condition/{id}";
    static readonly string[] Rejecting = ["entered-in-error", "refuted"];

    public static async Task<IResult> PutAsync(string id, HttpRequest http, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct)
    {
        var interactions = services.GetRequiredService<ResourceInteractions>();
        var body = await FhirSerialization.ReadResourceAsync(http, fhir.Value.BodyLimits, ct);
        var stored = await interactions.Store.ReadAsync("Condition", id, ct);
        if (stored is not { IsDeleted: false, Json: { } json } || FhirSerialization.ParseStored(json) is not Condition before
            || await CodedNoteOfAsync(before, services, ct) is not { } coded)
            return await ResourceApi.UpdateAsync("Condition", id, body, http, interactions, ct);

        var ifMatch = ResourceInteractions.ParseETag(http.Headers[KnownHeaders.IfMatch].FirstOrDefault());
        interactions.PrepareUpdate("Condition", id, body, ifMatch); // the same checks as any update: type, id, R4 validity
        if (ifMatch is { } expected && expected != stored.VersionId)
            throw new FhirException(StatusCodes.Status412PreconditionFailed, Outcomes.Error(OperationOutcome.IssueType.Conflict,
                $"Condition/{id} is at version {stored.VersionId}, not {expected} (If-Match)."));
        var inputs = Decisions((Condition)body, before, coded.Code);
        if (inputs.Count > 0)
            await ReviewOperation.DecideAsync(http, services, coded.Note.DocumentId, coded.Note.Version, inputs, ct);
        var now = await interactions.Store.ReadAsync("Condition", id, ct) ?? stored;
        return ResourceApi.Stored(http, StatusCodes.Status200OK, now);
    }

    /// <summary>The note whose coding wrote the Condition, and its code as reviewed there; null when the Condition is not one of a coded note's codes.</summary>
    static async Task<(ReviewOperation.NoteReview Note, ReviewedCode Code)?> CodedNoteOfAsync(Condition condition, IServiceProvider services, CancellationToken ct)
    {
        if (condition.Code?.Coding.FirstOrDefault() is not { System: { } system, Code: { } code }) return null;
        var documentId = condition.Evidence.SelectMany(e => e.Detail)
            .Select(d => Storage.SearchParameters.ParseReference(d.Reference) is ("DocumentReference", var note) ? note : null).FirstOrDefault(n => n is not null);
        if (documentId is null || condition.Id != WriteBack.ConditionId(documentId, system, code)) return null;
        ReviewOperation.NoteReview note;
        try { note = await ReviewOperation.LoadNoteAsync(services, documentId, null, ct); }
        catch (FhirException e) when (e.StatusCode == StatusCodes.Status404NotFound) { return null; }
        return note.Before.FirstOrDefault(c => c.Code.System == system && c.Code.Code == code) is { } reviewed ? (note, reviewed) : null;
    }

    /// <summary>What the edit decides, or 422 when it changes what a decision cannot express.</summary>
    static List<ReviewInput> Decisions(Condition after, Condition before, ReviewedCode code)
    {
        if (!Unreviewed(after).IsExactly(Unreviewed(before)))
            throw Refuse("Only verificationStatus (confirmed accepts, entered-in-error or refuted rejects), code and added notes of a Condition the coding wrote are " +
                "review decisions; the other elements are the coder's and its next run would not keep them. Send the decision with $review on the note (Condition.evidence).");
        if (after.Note.Count < before.Note.Count || before.Note.Where((n, i) => !n.IsExactly(after.Note[i])).Any())
            throw Refuse("A Condition's notes are kept: add a note, do not change or remove one.");
        var added = after.Note.Skip(before.Note.Count).Select(n => n.Text).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        var reason = added.Count == 0 ? null : string.Join(" ", added);
        var status = Verification(after);
        var inputs = new List<ReviewInput>();
        var (system, oldCode) = (code.Code.System, code.Code.Code);
        if (after.Code?.Coding.FirstOrDefault() is not { System: { Length: > 0 } newSystem, Code: { Length: > 0 } newCode })
            throw Refuse("A Condition the coding wrote keeps a code (Condition.code.coding with system and code).");
        if (newSystem != system || newCode != oldCode)
        {
            if (status is { } s && Rejecting.Contains(s))
                throw Refuse($"The edit both changes the code and sets verificationStatus {s}: send one decision at a time.");
            if (code.Code.Spans.Count == 0)
                throw Refuse($"{oldCode} has no evidence in the note to move to {newCode}: add {newCode} with its spans with $review.");
            if (code.State != ReviewState.Rejected)
                inputs.Add(new ReviewInput(system, oldCode, ReviewAction.Reject, reason ?? $"Recoded as {newCode}.", null));
            inputs.Add(new ReviewInput(newSystem, newCode, ReviewAction.Add, reason, [.. code.Code.Spans.Select(s => (s.Start, s.Length))]));
        }
        else if (status == "confirmed" && code.State is not (ReviewState.Accepted or ReviewState.Added))
            inputs.Add(new ReviewInput(system, oldCode, ReviewAction.Accept, reason, null));
        else if (status is { } rejecting && Rejecting.Contains(rejecting) && code.State != ReviewState.Rejected)
            inputs.Add(new ReviewInput(system, oldCode, ReviewAction.Reject, reason, null));
        else if (status != Verification(before))
            throw Refuse($"verificationStatus {status ?? "(none)"} is not a review decision: confirmed accepts, entered-in-error or refuted rejects.");
        if (inputs.Count == 0 && reason is not null)
            throw Refuse("The edit decides nothing (its status and code are as they stand): a note alone is not kept on a Condition the coding wrote.");
        return inputs;
    }

    /// <summary>The Condition without what a decision sets (status, code, notes) and what the server keeps (meta, narrative).</summary>
    static Condition Unreviewed(Condition condition)
    {
        var copy = (Condition)condition.DeepCopy();
        copy.Meta = null;
        copy.Text = null;
        copy.VerificationStatus = null;
        copy.ClinicalStatus = null; // an entered-in-error Condition has none (con-5), so a reject may drop it
        copy.Code = null;
        copy.Note = [];
        return copy;
    }

    static string? Verification(Condition condition) =>
        condition.VerificationStatus?.Coding.FirstOrDefault(c => c.System == ConditionStatuses.VerificationSystem)?.Code;

    static FhirException Refuse(string message) =>
        new(StatusCodes.Status422UnprocessableEntity, Outcomes.Error(OperationOutcome.IssueType.BusinessRule, message));
}
