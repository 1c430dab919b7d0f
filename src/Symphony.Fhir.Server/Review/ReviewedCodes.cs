using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.CodingJobs;

namespace Symphony.Fhir.Server.Review;

/// <summary>Where a code of a note stands: as the machine suggested it, or as a person left it.</summary>
public enum ReviewState { Suggested, Accepted, Rejected, Added, NeedsReview }

public sealed record ReviewedCode(AnsweredCode Code, ReviewState State, CodingDecision? Decision);

/// <summary>
/// The one rule for what a note's codes are once people have decided on them: the last decision on a code wins; a rejected
/// code stays rejected whatever the machine says again; accepted and added codes carry the spans the decision stored; a code
/// marked needs-review (a decision of an earlier note version whose evidence changed) keeps the machine's spans until a person decides.
/// Used by $review, by the write-back of a re-coded note and by the encounter's Claim.
/// </summary>
public static class ReviewedCodes
{
    /// <param name="machine">The machine's codes for the note version, in its ranking.</param>
    /// <param name="decisions">The decisions on that note version, oldest first.</param>
    public static IReadOnlyList<ReviewedCode> Apply(IReadOnlyList<AnsweredCode> machine, IReadOnlyList<CodingDecision> decisions)
    {
        var last = Last(decisions);
        var reviewed = new List<ReviewedCode>();
        foreach (var code in machine)
            reviewed.Add(last.TryGetValue((code.System, code.Code), out var decision)
                ? new ReviewedCode(decision.Action == ReviewAction.NeedsReview ? code : code with { Spans = decision.Spans }, StateOf(decision), decision)
                : new ReviewedCode(code, ReviewState.Suggested, null));
        // Codes a person added, and decided codes the machine no longer lists (a re-code leaves rejected codes out).
        foreach (var decision in last.Values.Where(d => !machine.Any(m => m.System == d.System && m.Code == d.Code)))
            reviewed.Add(new ReviewedCode(new AnsweredCode(decision.System, decision.Code, decision.Display, null, 1m, decision.Spans), StateOf(decision), decision));
        return reviewed;
    }

    /// <summary>
    /// The decision that stands on each code: the last one, with the spans of every decision of the same action in the same review
    /// (a review may accept or add a code once per mention, each decision with that mention's spans).
    /// </summary>
    public static Dictionary<(string System, string Code), CodingDecision> Last(IEnumerable<CodingDecision> decisions) =>
        decisions.GroupBy(d => (d.System, d.Code)).ToDictionary(g => g.Key, g =>
        {
            var standing = Standing(g.ToList());
            return standing[^1] with { Spans = standing.SelectMany(d => d.Spans).Distinct().ToList() };
        });

    /// <summary>The rows of the decision that stands on one code (its decisions, oldest first): the last review's, one row per mention it decided.</summary>
    public static IReadOnlyList<CodingDecision> Standing(IReadOnlyList<CodingDecision> ofOneCode)
    {
        var last = ofOneCode[^1];
        return ofOneCode.Where(d => d.DecidedAt == last.DecidedAt && d.Action == last.Action).ToList();
    }

    /// <summary>What the encounter's Claim counts of a note: every code but the rejected ones.</summary>
    public static ClaimSource Claimed(string noteVersion, IReadOnlyList<ReviewedCode> codes) =>
        new(noteVersion, codes.Where(c => c.State != ReviewState.Rejected).Select(c => c.Code).ToList());

    public static ReviewState StateOf(CodingDecision decision) => decision.Action switch
    {
        ReviewAction.Accept => ReviewState.Accepted,
        ReviewAction.Reject => ReviewState.Rejected,
        ReviewAction.NeedsReview => ReviewState.NeedsReview,
        _ => ReviewState.Added,
    };

    /// <summary>How $review names a state: "suggested", "accepted", "rejected", "added", "needs-review".</summary>
    public static string Name(ReviewState state) => state == ReviewState.NeedsReview ? ReviewAction.NeedsReview : state.ToString().ToLowerInvariant();

    /// <summary>The other coded notes of the encounter as the Claim counts them, each with its own decisions applied.</summary>
    public static async Task<IReadOnlyList<ClaimSource>> OtherNotesAsync(System.Data.Common.DbTransaction tx, string encounterId, string exceptRequestId, CancellationToken ct)
    {
        var sources = new List<ClaimSource>();
        foreach (var other in await CodingRequests.CodedNotesAsync(tx, encounterId, exceptRequestId, ct))
        {
            var machine = CodingParameters.Read(new FhirJsonDeserializer().Deserialize<Hl7.Fhir.Model.Parameters>(other.ResultJson));
            var decisions = await CodingDecisions.ForNoteAsync(tx, other.DocumentId, other.Version, ct);
            sources.Add(Claimed($"DocumentReference/{other.DocumentId}/_history/{other.Version}", Apply(machine, decisions)));
        }
        return sources;
    }
}
