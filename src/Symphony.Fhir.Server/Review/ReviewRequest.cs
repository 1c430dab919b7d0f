using Hl7.Fhir.Model;
using Symphony.Coders;
using Symphony.Fhir.Server.Fhir;

namespace Symphony.Fhir.Server.Review;

/// <summary>One 'decision' of a $review body, as sent: Spans is null when none was given (accept and reject then take the machine's).</summary>
/// <param name="Note">The DocumentReference id a decision sent to Encounter/$review names (part 'note'); null when it names none.</param>
public sealed record ReviewInput(string System, string Code, string Action, string? Reason, IReadOnlyList<(int Offset, int Length)>? Spans, string? Note = null);

/// <summary>Reads a $review Parameters: repeating 'decision' (code, action, reason, span) and an optional 'noteVersion'. Malformed → 400.</summary>
public static class ReviewRequest
{
    public const string Usage = "$review takes a Parameters with repeating 'decision' parameters, each with parts 'code' (valueCoding: system and code), " +
        "'action' (valueCode accept|reject|add), optional 'reason' (valueString) and repeating 'span' (parts 'offset' and 'length', valueInteger; required for add), " +
        "and an optional 'noteVersion'; sent to Encounter/$review, a decision may name its note (part 'note', valueReference).";

    public static (IReadOnlyList<ReviewInput> Decisions, int? NoteVersion) Read(Resource body)
    {
        if (body is not Parameters parameters) throw FhirException.BadRequest(Usage);
        var unknown = parameters.Parameter.Select(p => p.Name).FirstOrDefault(n => n is not ("decision" or "noteVersion"));
        if (unknown is not null) throw FhirException.BadRequest($"Unknown parameter '{unknown}'. {Usage}");
        var decisions = parameters.Parameter.Where(p => p.Name == "decision").Select((p, i) => Decision(p, i + 1)).ToList();
        if (decisions.Count == 0) throw FhirException.BadRequest($"No 'decision'. {Usage}");
        var version = parameters.Parameter.FirstOrDefault(p => p.Name == "noteVersion")?.Value switch
        {
            null => (int?)null,
            Integer i => i.Value,
            PositiveInt i => i.Value,
            FhirString s when int.TryParse(s.Value, out var v) => v,
            Id s when int.TryParse(s.Value, out var v) => v,
            _ => throw FhirException.BadRequest("'noteVersion' takes the note's version id (valueString, valueId or valueInteger)."),
        };
        return (decisions, version);
    }

    static ReviewInput Decision(Parameters.ParameterComponent decision, int n)
    {
        string Where(string what) => $"decision {n}: {what}";
        if (decision.Part.FirstOrDefault(p => p.Name == "code")?.Value is not Coding { System: { Length: > 0 } system, Code: { Length: > 0 } code })
            throw FhirException.BadRequest(Where("'code' needs a valueCoding with system and code."));
        var action = decision.Part.FirstOrDefault(p => p.Name == "action")?.Value switch
        {
            Code c => c.Value,
            FhirString s => s.Value,
            _ => null,
        };
        if (action is null || !ReviewAction.All.Contains(action))
            throw FhirException.BadRequest(Where("'action' must be accept, reject or add."));
        var reason = decision.Part.FirstOrDefault(p => p.Name == "reason")?.Value is FhirString { Value: { } r } ? r : null;
        var spans = decision.Part.Where(p => p.Name == "span").Select(span =>
        {
            int? Value(string name) => span.Part.FirstOrDefault(p => p.Name == name)?.Value switch
            {
                Integer i => i.Value,
                UnsignedInt u => u.Value,
                PositiveInt p => p.Value,
                _ => null,
            };
            return Value("offset") is { } offset && Value("length") is { } length
                ? (offset, length)
                : throw FhirException.BadRequest(Where("each 'span' needs parts 'offset' and 'length' (valueInteger)."));
        }).ToList();
        if (action == ReviewAction.Add && spans.Count == 0)
            throw FhirException.BadRequest(Where("an added code needs its evidence: at least one 'span'."));
        string? note = null;
        if (decision.Part.FirstOrDefault(p => p.Name == "note") is { } named)
            note = named.Value is ResourceReference { Reference: { } reference } && Storage.SearchParameters.ParseReference(reference) is ("DocumentReference", var id)
                ? id
                : throw FhirException.BadRequest(Where("'note' takes a valueReference to a DocumentReference."));
        return new ReviewInput(system, code, action, reason, spans.Count == 0 ? null : spans, note);
    }
}
