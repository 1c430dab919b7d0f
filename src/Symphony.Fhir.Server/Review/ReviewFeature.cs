using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Resources;

namespace Symphony.Fhir.Server.Review;

public static class ReviewFeature
{
    /// <summary>The site lexicon built from the decisions: what this process codes with, kept current by the refresher.</summary>
    public static WebApplicationBuilder AddReview(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SiteLexiconOptions>().BindConfiguration(SiteLexiconOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SiteLexiconOptions>, SiteLexiconOptionsValidation>();
        builder.Services.AddSingleton<SiteLexicons>();
        builder.Services.AddHostedService<SiteLexiconRefresher>();
        return builder;
    }

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
        // A plain FHIR edit of a Condition the coding wrote is a review decision; any other Condition is updated as usual.
        app.MapPut(ConditionEdit.Route, (string id, HttpRequest request, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct) =>
            ConditionEdit.PutAsync(id, request, services, fhir, ct))
            .RequireScope(SmartPermission.Update, "Condition");
        app.MapGet(SiteLexiconApi.Path, SiteLexiconApi.GetAsync).RequireScope(SmartPermission.Read, "CodeSystem");
        // Replacing what every note is coded with is an admin's act, as loading terminology is (POST /CodeSystem/$import).
        app.MapPost(SiteLexiconApi.Path, SiteLexiconApi.PostAsync).RequireScope(SmartPermission.Create, "CodeSystem");
        return app;
    }
}
