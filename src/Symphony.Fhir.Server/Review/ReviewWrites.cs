using Hl7.Fhir.Model;
using Symphony.Coders;
using Symphony.Coders.Lexicon;
using Symphony.Fhir.Server.CodingJobs;

namespace Symphony.Fhir.Server.Review;

/// <summary>Who decided: the token's fhirUser, else its client; with Auth:Mode=none, nobody known.</summary>
public sealed record Reviewer(string Id, ResourceReference Who)
{
    public const string ClientIdSystem = "https://symphony-fhir.dev/CodeSystem/client-id";
    public const string Unauthenticated = "unauthenticated";

    public static Reviewer Of(HttpContext context)
    {
        var user = context.User;
        if (user.FindFirst("fhirUser")?.Value is { Length: > 0 } fhirUser)
            return new(fhirUser, new ResourceReference(fhirUser));
        if (Auth.ScopePolicy.ClientOf(user) is { Length: > 0 } client)
            return new(client, new ResourceReference { Identifier = new Identifier(ClientIdSystem, client), Display = $"Client {client}" });
        return new(Unauthenticated, new ResourceReference { Display = "Unauthenticated reviewer (Auth:Mode=none)" });
    }

    /// <summary>The reviewer a stored decision names, as <see cref="Of"/> made it: a fhirUser is a reference, anything else a client id.</summary>
    public static Reviewer Stored(string id) =>
        id == Unauthenticated ? new(id, new ResourceReference { Display = "Unauthenticated reviewer (Auth:Mode=none)" })
        : id.Contains('/') ? new(id, new ResourceReference(id))
        : new(id, new ResourceReference { Identifier = new Identifier(ClientIdSystem, id), Display = $"Client {id}" });
}

/// <summary>
/// What a decision does to the written Condition or Procedure: accept confirms (a Procedure: the reviewed tag), reject marks it
/// entered-in-error with the reason as a note, add writes a confirmed one with a Provenance naming the reviewer. Every
/// decided resource carries the reviewed tag instead of the machine-suggested one.
/// </summary>
public static class ReviewWrites
{
    static readonly Coding ReviewedTag = new(ProfileUrls.MachineSuggestedTagSystem, ProfileUrls.ReviewedTagCode, "Reviewed by a person");

    public sealed record Context(DocumentReference Document, string NoteVersion, ResourceReference Patient, string EncounterId, Reviewer Reviewer, DateTimeOffset At);

    /// <summary>The resources one decision writes: the decided Condition or Procedure, and for an add its Provenance.</summary>
    public static IReadOnlyList<Resource> For(CodingDecision decision, string? version, Resource? current, Context context)
    {
        var resource = decision.Action == ReviewAction.Add || current is null ? Added(decision, version, context) : current.DeepCopy();
        var note = decision.Action switch
        {
            ReviewAction.Accept => $"Accepted by {context.Reviewer.Id}.",
            ReviewAction.Reject => $"Rejected by {context.Reviewer.Id}" + (decision.Reason is { } reason ? $": {reason}" : "."),
            _ => $"Added by {context.Reviewer.Id}" + (decision.Reason is { } why ? $": {why}" : "."),
        };
        switch (resource)
        {
            case Condition condition when decision.Action == ReviewAction.Reject:
                resource = WriteBack.Supersede(condition); // entered-in-error, and no clinical status (con-5)
                break;
            case Condition condition:
                condition.VerificationStatus = new CodeableConcept { Coding = [new Coding(ConditionStatuses.VerificationSystem, "confirmed", "Confirmed")] };
                condition.ClinicalStatus ??= new CodeableConcept { Coding = [new Coding(ConditionStatuses.ClinicalSystem, "active", "Active")] };
                break;
            case Procedure procedure:
                procedure.Status = decision.Action == ReviewAction.Reject ? EventStatus.EnteredInError : EventStatus.Completed;
                break;
        }
        resource.Meta ??= new Meta();
        resource.Meta.Tag.RemoveAll(t => t.System == ProfileUrls.MachineSuggestedTagSystem);
        resource.Meta.Tag.Add((Coding)ReviewedTag.DeepCopy());
        var annotation = new Annotation { Text = new Markdown(note), Time = context.At.ToString("o") };
        var notes = resource switch { Condition c => c.Note, Procedure p => p.Note, _ => new List<Annotation>() };
        notes.Add(annotation);
        // A note of its own: the review app reads who decided from a note that is only "Accepted by …".
        if (decision.CarriedFrom is { } from)
            notes.Add(new Annotation { Text = new Markdown($"Kept from version {from}: the evidence is at the same words in {context.NoteVersion}."), Time = context.At.ToString("o") });
        // A carried accept or add quotes its moved spans in the new note version; a review's accept keeps the machine's Provenance.
        if (decision.Action == ReviewAction.Reject || (decision.Action == ReviewAction.Accept && decision.CarriedFrom is null)) return [resource];
        var agent = new Provenance.AgentComponent
        {
            Type = WriteBack.Concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "author", "Author"),
            Who = context.Reviewer.Who,
        };
        return [resource, WriteBack.Provenance(resource, decision.Spans.Select(s => (s, context.NoteVersion)).ToList(), [context.NoteVersion], agent, context.At, null)];
    }

    /// <summary>
    /// A code whose earlier decision did not survive the note's new text: unconfirmed (a Condition) and tagged needs-review in
    /// place of the coding-origin tag, with the mark's reason as a note, until a person decides again.
    /// </summary>
    public static Resource MarkForReview(Resource written, CodingDecision mark)
    {
        var resource = written.DeepCopy();
        resource.Meta ??= new Meta();
        resource.Meta.Tag.RemoveAll(t => t.System == ProfileUrls.MachineSuggestedTagSystem);
        resource.Meta.Tag.Add(new Coding(ProfileUrls.MachineSuggestedTagSystem, ProfileUrls.NeedsReviewTagCode, CarriedDecisions.TagDisplay(mark.NoteVersion)));
        var notes = resource switch { Condition c => c.Note, Procedure p => p.Note, _ => new List<Annotation>() };
        if (resource is Condition condition)
        {
            condition.VerificationStatus = new CodeableConcept { Coding = [new Coding(ConditionStatuses.VerificationSystem, "unconfirmed", "Unconfirmed")] };
            condition.ClinicalStatus ??= new CodeableConcept { Coding = [new Coding(ConditionStatuses.ClinicalSystem, "active", "Active")] };
        }
        if (resource is Procedure { Status: EventStatus.EnteredInError } procedure) procedure.Status = EventStatus.Completed;
        if (mark.Reason is { } reason && !notes.Any(n => n.Text == reason))
            notes.Add(new Annotation { Text = new Markdown(reason), Time = mark.DecidedAt.ToString("o") });
        return resource;
    }

    static Resource Added(CodingDecision decision, string? version, Context context)
    {
        var documentId = context.Document.Id!;
        var code = new CodeableConcept { Coding = [new Coding(decision.System, decision.Code, decision.Display) { Version = version }], Text = decision.Display };
        if (decision.System == CodeSystems.Icd10Pcs)
        {
            var procedure = new Procedure
            {
                Id = WriteBack.ProcedureId(documentId, decision.System, decision.Code),
                Meta = new Meta(),
                Status = EventStatus.Completed,
                Code = code,
                Subject = context.Patient,
                Encounter = new ResourceReference($"Encounter/{context.EncounterId}"),
            };
            if (!WriteBack.IsComplete(decision.System, decision.Code))
                procedure.Meta.Tag.Add(WriteBack.IncompleteTag());
            return procedure;
        }
        return new Condition
        {
            Id = WriteBack.ConditionId(documentId, decision.System, decision.Code),
            Meta = new Meta { Profile = [ProfileUrls.CodedCondition] },
            Category = [WriteBack.Concept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis")],
            Code = code,
            Subject = context.Patient,
            Encounter = new ResourceReference($"Encounter/{context.EncounterId}"),
            RecordedDate = context.Document.Date?.ToString("o")[..10],
            Evidence = [new Condition.EvidenceComponent { Detail = [new ResourceReference($"DocumentReference/{documentId}")] }],
        };
    }
}
