using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Resources;

namespace Symphony.Fhir.Server.Review;

public static class ReviewFeature
{
    /// <summary>$review needs nothing of its own beyond the store, the coder catalog and the scope policy; kept for the table of contents.</summary>
    public static WebApplicationBuilder AddReview(this WebApplicationBuilder builder) => builder;

    /// <summary>
    /// POST /DocumentReference/{id}/$review and /Encounter/{id}/$review. Reading the note (and the encounter) is the route's scope; each decision also needs update on the
    /// resource it writes (Condition, or Procedure for ICD-10-PCS), asked of the same scope policy inside.
    /// </summary>
    public static WebApplication MapReview(this WebApplication app)
    {
        app.MapPost("/DocumentReference/{id}/$review", (string id, HttpRequest request, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct) =>
            ReviewOperation.ReviewNoteAsync(id, request, services, fhir, ct))
            .RequireScope(SmartPermission.Read, "DocumentReference");
        app.MapPost("/Encounter/{id}/$review", (string id, HttpRequest request, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct) =>
            ReviewOperation.ReviewEncounterAsync(id, request, services, fhir, ct))
            .RequireScope(SmartPermission.Read, "Encounter").RequireScope(SmartPermission.Read, "DocumentReference");
        return app;
    }
}
