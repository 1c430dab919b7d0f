using Symphony.Fhir.Server.Health;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Resources;

/// <summary>The generic FHIR REST interactions for every R4 resource type.</summary>
public static class ResourceApi
{
    public static WebApplicationBuilder AddFhirApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FhirOptions>().BindConfiguration(FhirOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<FhirOptions>, FhirOptionsValidation>();
        // Kestrel's limits follow ours (above them, so that the application answers with an OperationOutcome).
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<FhirOptions>>((kestrel, fhir) => fhir.Value.ApplyTo(kestrel.Limits));
        builder.Services.AddSingleton<ResourceValidator>();
        if (builder.ServerOptions().RunsApi) // a worker validates nothing it writes
        {
            builder.Services.AddReadiness(ValidatorWarmUp.Part, "loading the FHIR R4 specification");
            builder.Services.AddHostedService<ValidatorWarmUp>();
        }
        builder.Services.AddSingleton<ResourceInteractions>();
        builder.Services.AddSingleton<BundleProcessor>();
        builder.Services.AddSingleton(CapabilityStatementBuilder.Build());
        return builder;
    }

    public static WebApplication MapFhirApi(this WebApplication app)
    {
        app.MapGet(KnownRoutes.Metadata, (CapabilityStatement capabilities, HttpContext context) =>
            FhirResult.Of(StatusCodes.Status200OK, AuthFeature.WithSecurity(capabilities, context))).AllowAnonymous();
        // Each entry of a Bundle is checked by the BundleProcessor, as if it were a request of its own.
        app.MapPost(KnownRoutes.System, ProcessBundle);
        app.MapGet(KnownRoutes.SystemHistory, History).RequireScope(SmartPermission.Read, SmartScope.AnyType);
        app.MapGet(KnownRoutes.Type, Search).RequireScope(SmartPermission.Search);
        app.MapPost(KnownRoutes.TypeSearch, Search).RequireScope(SmartPermission.Search);
        app.MapPost(KnownRoutes.Type, Create).RequireScope(SmartPermission.Create);
        app.MapGet(KnownRoutes.TypeHistory, History).RequireScope(SmartPermission.Read);
        app.MapGet(KnownRoutes.Instance, Read).RequireScope(SmartPermission.Read);
        app.MapPut(KnownRoutes.Instance, Update).RequireScope(SmartPermission.Update);
        app.MapDelete(KnownRoutes.Instance, Delete).RequireScope(SmartPermission.Delete);
        app.MapGet(KnownRoutes.InstanceHistory, History).RequireScope(SmartPermission.Read);
        app.MapGet(KnownRoutes.InstanceVersion, ReadVersion).RequireScope(SmartPermission.Read);
        return app;
    }

    private static async Task<FhirResult> Create(
        string type, HttpRequest request, ResourceInteractions interactions, IOptions<FhirOptions> options, CancellationToken ct)
    {
        ResourceInteractions.EnsureKnownType(type);
        var resource = await FhirSerialization.ReadResourceAsync(request, options.Value.BodyLimits, ct);
        var write = interactions.PrepareCreate(type, resource);
        if (request.Headers[KnownHeaders.IfNoneExist].FirstOrDefault() is { Length: > 0 } ifNoneExist
            && await interactions.FindExistingAsync(type, ifNoneExist, ct) is { } existing)
        {
            return Stored(request, StatusCodes.Status200OK, existing);
        }
        var result = (await interactions.Store.WriteAsync([write], ct: ct))[0];
        return Stored(request, StatusCodes.Status201Created, result.Stored);
    }

    private static async Task<FhirResult> Read(string type, string id, ResourceInteractions interactions, HttpRequest request, CancellationToken ct)
    {
        ResourceInteractions.EnsureKnownType(type);
        var stored = await interactions.Store.ReadAsync(type, id, ct) ?? throw FhirException.NotFound($"{type}/{id} is not known.");
        if (stored.IsDeleted)
        {
            throw new FhirException(StatusCodes.Status410Gone,
                Outcomes.Error(OperationOutcome.IssueType.Deleted, $"{type}/{id} was deleted (version {stored.VersionId})."));
        }
        return FhirResult.Stored(StatusCodes.Status200OK, stored);
    }

    private static async Task<FhirResult> ReadVersion(
        string type, string id, string versionId, ResourceInteractions interactions, CancellationToken ct)
    {
        ResourceInteractions.EnsureKnownType(type);
        var version = int.TryParse(versionId, out var number) ? number : -1;
        var stored = await interactions.Store.ReadVersionAsync(type, id, version, ct)
            ?? throw FhirException.NotFound($"{type}/{id}/_history/{versionId} is not known.");
        if (stored.IsDeleted)
        {
            throw new FhirException(StatusCodes.Status410Gone,
                Outcomes.Error(OperationOutcome.IssueType.Deleted, $"{type}/{id} version {versionId} is a deletion."));
        }
        return FhirResult.Stored(StatusCodes.Status200OK, stored);
    }

    private static async Task<FhirResult> Update(
        string type, string id, HttpRequest request, ResourceInteractions interactions, IOptions<FhirOptions> options, CancellationToken ct)
    {
        ResourceInteractions.EnsureKnownType(type);
        var resource = await FhirSerialization.ReadResourceAsync(request, options.Value.BodyLimits, ct);
        return await UpdateAsync(type, id, resource, request, interactions, ct);
    }

    /// <summary>The plain FHIR update of a resource already read from the body (a route that looked at it first and found nothing of its own to do).</summary>
    public static async Task<FhirResult> UpdateAsync(string type, string id, Resource resource, HttpRequest request, ResourceInteractions interactions, CancellationToken ct)
    {
        var ifMatch = ResourceInteractions.ParseETag(request.Headers[KnownHeaders.IfMatch].FirstOrDefault());
        var write = interactions.PrepareUpdate(type, id, resource, ifMatch);
        var result = (await interactions.Store.WriteAsync([write], ct: ct))[0];
        return Stored(request, ResourceInteractions.StatusCodeOf(result), result.Stored);
    }

    private static async Task<FhirResult> Delete(string type, string id, HttpRequest request, ResourceInteractions interactions, CancellationToken ct)
    {
        ResourceInteractions.EnsureKnownType(type);
        var ifMatch = ResourceInteractions.ParseETag(request.Headers[KnownHeaders.IfMatch].FirstOrDefault());
        var result = (await interactions.Store.WriteAsync([ResourceWrite.Delete(type, id, ifMatch)], ct: ct))[0];
        if (result.Status == WriteStatus.NotFound)
            throw FhirException.NotFound($"{type}/{id} is not known.");
        return FhirResult.Stored(StatusCodes.Status204NoContent, result.Stored, withBody: false);
    }

    private static async Task<FhirResult> Search(string type, HttpRequest request, ResourceInteractions interactions, CancellationToken ct)
    {
        ResourceInteractions.EnsureKnownType(type);
        var parameters = await ResultBundles.SearchParametersAsync(request, ct);
        var (query, ignored) = interactions.ParseSearch(type, parameters, ResultBundles.IsLenient(request));
        var page = await interactions.Store.SearchAsync(query, ct);
        var bundle = ResultBundles.SearchSet(request, "/" + type, parameters, query, page, ignored);
        return FhirResult.Of(StatusCodes.Status200OK, bundle);
    }

    private static async Task<FhirResult> History(
        string? type, string? id, HttpRequest request, ResourceInteractions interactions, CancellationToken ct)
    {
        if (type is not null)
            ResourceInteractions.EnsureKnownType(type);
        var count = request.Query.TryGetValue(KnownParameters.Count, out var c) && !string.IsNullOrWhiteSpace(c)
            ? SearchRequest.ParseCount(c!)
            : SearchRequest.DefaultCount;
        var offset = request.Query.TryGetValue(KnownParameters.Offset, out var o) && !string.IsNullOrWhiteSpace(o)
            ? SearchRequest.ParseOffset(o!)
            : 0;
        DateTimeOffset? since = request.Query.TryGetValue(KnownParameters.Since, out var s)
            ? SearchParameters.ParseDateRange(s)?.Low ?? throw FhirException.BadRequest($"_since '{s}' is not a FHIR instant.")
            : null;
        var query = new HistoryQuery(type, id, count, offset, since);
        var page = await interactions.Store.HistoryAsync(query, ct);
        if (id is not null && page.Total == 0)
            throw FhirException.NotFound($"{type}/{id} is not known.");
        return FhirResult.Of(StatusCodes.Status200OK, ResultBundles.History(request, query, page));
    }

    private static async Task<FhirResult> ProcessBundle(
        HttpRequest request, BundleProcessor processor, IOptions<FhirOptions> options, CancellationToken ct)
    {
        var resource = await FhirSerialization.ReadResourceAsync(request, options.Value.BodyLimits, ct);
        if (resource is not Bundle bundle)
            throw FhirException.BadRequest($"POST to the base URL takes a transaction or batch Bundle, not a {resource.TypeName}.");
        return FhirResult.Of(StatusCodes.Status200OK, await processor.ProcessAsync(request, bundle, ct));
    }

    /// <summary>A write's answer: Location and ETag, and the stored body unless Prefer: return=minimal.</summary>
    public static FhirResult Stored(HttpRequest request, int statusCode, StoredResource stored)
    {
        var minimal = request.Headers[KnownHeaders.Prefer].Any(value => value?.Contains("return=minimal", StringComparison.OrdinalIgnoreCase) == true);
        var location = $"{ResultBundles.BaseUrl(request)}/{stored.VersionedReference}";
        return FhirResult.Stored(statusCode, stored, withBody: !minimal, location: location);
    }
}
