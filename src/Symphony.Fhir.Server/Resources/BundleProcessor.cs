using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Resources;

/// <summary>
/// Transaction Bundles (all entries in one store transaction, urn:uuid references rewritten to the assigned ids,
/// all-or-nothing) and batch Bundles (each entry on its own, failures reported per entry).
/// </summary>
public sealed class BundleProcessor(ResourceInteractions interactions, ScopePolicy scopes)
{
    private sealed record Target(Bundle.HTTPVerb Method, string Type, string? Id, string? Query);

    private sealed record Planned(Target Target, ResourceWrite? Write, StoredResource? Existing);

    public async Task<Bundle> ProcessAsync(HttpRequest request, Bundle bundle, CancellationToken ct) => bundle.Type switch
    {
        Bundle.BundleType.Transaction => await TransactionAsync(request, bundle, ct),
        Bundle.BundleType.Batch => await BatchAsync(request, bundle, ct),
        _ => throw FhirException.BadRequest($"Bundle.type must be transaction or batch, not {bundle.Type}.", "Bundle.type"),
    };

    private async Task<Bundle> TransactionAsync(HttpRequest request, Bundle bundle, CancellationToken ct)
    {
        var targets = bundle.Entry.Select((entry, i) => ParseTarget(entry, i)).ToList();
        // All or nothing: one entry the token may not do fails the whole transaction before anything is written.
        foreach (var target in targets)
            Demand(request, target);

        // Ids for new resources first, so references between entries can be rewritten before validation.
        var newIds = new Dictionary<int, string>();
        var assigned = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            var id = target.Method == Bundle.HTTPVerb.POST ? Guid.NewGuid().ToString() : target.Id;
            if (target.Method == Bundle.HTTPVerb.POST)
                newIds[i] = id!;
            if (bundle.Entry[i].FullUrl is { Length: > 0 } fullUrl && id is not null)
                assigned[fullUrl] = $"{target.Type}/{id}";
        }

        var planned = new Planned[targets.Count];
        for (var i = 0; i < targets.Count; i++)
        {
            var existing = targets[i].Method == Bundle.HTTPVerb.POST && bundle.Entry[i].Request?.IfNoneExist is { Length: > 0 } condition
                ? await interactions.FindExistingAsync(targets[i].Type, condition, ct)
                : null;
            if (existing is not null && bundle.Entry[i].FullUrl is { Length: > 0 } fullUrl)
                assigned[fullUrl] = $"{existing.ResourceType}/{existing.Id}";
            planned[i] = new Planned(targets[i], null, existing);
        }
        for (var i = 0; i < targets.Count; i++)
        {
            if (bundle.Entry[i].Resource is { } resource)
                RewriteReferences(resource, assigned);
            if (planned[i].Existing is null)
                planned[i] = Plan(bundle.Entry[i], targets[i], i, newIds.GetValueOrDefault(i));
        }

        // FHIR processing order: deletes, creates, updates; reads after all writes.
        var writeOrder = Enumerable.Range(0, planned.Length)
            .Where(i => planned[i].Write is not null)
            .OrderBy(i => planned[i].Target.Method switch { Bundle.HTTPVerb.DELETE => 0, Bundle.HTTPVerb.POST => 1, _ => 2 })
            .ToList();
        var results = await interactions.Store.WriteAsync(writeOrder.Select(i => planned[i].Write!).ToList(), ct: ct);
        var resultOf = writeOrder.Select((entryIndex, resultIndex) => (entryIndex, resultIndex))
            .ToDictionary(pair => pair.entryIndex, pair => results[pair.resultIndex]);

        var response = new Bundle { Type = Bundle.BundleType.TransactionResponse };
        for (var i = 0; i < planned.Length; i++)
        {
            response.Entry.Add(resultOf.TryGetValue(i, out var result)
                ? WriteEntry(request, result)
                : await ReadOrErrorEntryAsync(request, planned[i], ct));
        }
        return response;
    }

    private async Task<Bundle> BatchAsync(HttpRequest request, Bundle bundle, CancellationToken ct)
    {
        var response = new Bundle { Type = Bundle.BundleType.BatchResponse };
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            try
            {
                var entry = bundle.Entry[i];
                var target = ParseTarget(entry, i);
                Demand(request, target);
                var existing = target.Method == Bundle.HTTPVerb.POST && entry.Request?.IfNoneExist is { Length: > 0 } condition
                    ? await interactions.FindExistingAsync(target.Type, condition, ct)
                    : null;
                var planned = existing is null ? Plan(entry, target, i, Guid.NewGuid().ToString()) : new Planned(target, null, existing);
                response.Entry.Add(planned.Write is null
                    ? await ReadEntryAsync(request, planned, ct)
                    : WriteEntry(request, (await interactions.Store.WriteAsync([planned.Write], ct: ct))[0]));
            }
            catch (Exception exception) when (exception is FhirException or VersionConflictException)
            {
                response.Entry.Add(ErrorEntry(exception));
            }
        }
        return response;
    }

    /// <summary>Reads run after the transaction committed: a failed read is reported in its entry, not as a failed transaction.</summary>
    private async Task<Bundle.EntryComponent> ReadOrErrorEntryAsync(HttpRequest request, Planned planned, CancellationToken ct)
    {
        try
        {
            return await ReadEntryAsync(request, planned, ct);
        }
        catch (FhirException exception)
        {
            return ErrorEntry(exception);
        }
    }

    private static Bundle.EntryComponent ErrorEntry(Exception exception)
    {
        var (status, outcome) = exception is FhirException fhir
            ? (fhir.StatusCode, fhir.Outcome)
            : (StatusCodes.Status412PreconditionFailed, Outcomes.Error(OperationOutcome.IssueType.Conflict, exception.Message));
        return new Bundle.EntryComponent
        {
            Response = new Bundle.ResponseComponent { Status = status.ToString(), Outcome = outcome },
        };
    }

    /// <summary>An entry is checked as the request it stands for would be.</summary>
    private void Demand(HttpRequest request, Target target) => scopes.Demand(request.HttpContext, target.Type, target.Method switch
    {
        Bundle.HTTPVerb.POST => SmartPermission.Create,
        Bundle.HTTPVerb.PUT => SmartPermission.Update,
        Bundle.HTTPVerb.DELETE => SmartPermission.Delete,
        _ when target.Id is null => SmartPermission.Search,
        _ => SmartPermission.Read,
    });

    private Planned Plan(Bundle.EntryComponent entry, Target target, int index, string? newId)
    {
        var ifMatch = ResourceInteractions.ParseETag(entry.Request?.IfMatch);
        switch (target.Method)
        {
            case Bundle.HTTPVerb.POST:
                var created = interactions.PrepareCreate(target.Type, RequireResource(entry, index));
                return new Planned(target, created with { Id = newId ?? created.Id }, null);
            case Bundle.HTTPVerb.PUT:
                var id = target.Id ?? throw FhirException.BadRequest($"Entry {index}: PUT needs Type/id in request.url.");
                return new Planned(target, interactions.PrepareUpdate(target.Type, id, RequireResource(entry, index), ifMatch), null);
            case Bundle.HTTPVerb.DELETE:
                var deleted = target.Id ?? throw FhirException.BadRequest($"Entry {index}: DELETE needs Type/id in request.url.");
                return new Planned(target, ResourceWrite.Delete(target.Type, deleted, ifMatch), null);
            case Bundle.HTTPVerb.GET:
                return new Planned(target, null, null);
            default:
                throw FhirException.BadRequest($"Entry {index}: method {target.Method} is not supported in a Bundle.");
        }
    }

    private static Target ParseTarget(Bundle.EntryComponent entry, int index)
    {
        if (entry.Request?.Method is not { } method || string.IsNullOrEmpty(entry.Request.Url))
            throw FhirException.BadRequest($"Entry {index} needs request.method and request.url.", $"Bundle.entry[{index}].request");
        var url = entry.Request.Url;
        var queryAt = url.IndexOf('?');
        var query = queryAt >= 0 ? url[queryAt..] : null;
        var segments = (queryAt >= 0 ? url[..queryAt] : url).Trim('/').Split('/');
        if (segments.Length > 2)
            segments = segments[^2..];
        var type = segments.Length == 2 && !ModelInfo.IsKnownResource(segments[0]) ? segments[1] : segments[0];
        var id = segments.Length == 2 && ModelInfo.IsKnownResource(segments[0]) ? segments[1] : null;
        ResourceInteractions.EnsureKnownType(type);
        return new Target(method, type, id, query);
    }

    private static Resource RequireResource(Bundle.EntryComponent entry, int index) =>
        entry.Resource ?? throw FhirException.BadRequest($"Entry {index} has no resource.", $"Bundle.entry[{index}].resource");

    /// <summary>Points references at fullUrls of this Bundle (urn:uuid:… or absolute) to the ids the entries got.</summary>
    private static void RewriteReferences(Resource resource, IReadOnlyDictionary<string, string> assigned)
    {
        if (assigned.Count == 0)
            return;
        foreach (var reference in resource.Select("descendants()").OfType<ResourceReference>())
        {
            if (reference.Reference is { } value && assigned.TryGetValue(value, out var replacement))
                reference.Reference = replacement;
        }
    }

    private static Bundle.EntryComponent WriteEntry(HttpRequest request, WriteResult result)
    {
        var stored = result.Stored;
        var status = ResourceInteractions.StatusCodeOf(result);
        return new Bundle.EntryComponent
        {
            FullUrl = stored.IsDeleted ? null : $"{ResultBundles.BaseUrl(request)}/{stored.ResourceType}/{stored.Id}",
            Response = new Bundle.ResponseComponent
            {
                Status = $"{status} {ReasonPhrases.GetReasonPhrase(status)}",
                Location = stored.IsDeleted ? null : stored.VersionedReference,
                Etag = stored.IsDeleted ? null : $"W/\"{stored.VersionId}\"",
                LastModified = stored.LastUpdated,
            },
        };
    }

    private async Task<Bundle.EntryComponent> ReadEntryAsync(HttpRequest request, Planned planned, CancellationToken ct)
    {
        if (planned.Existing is { } existing)
        {
            return new Bundle.EntryComponent
            {
                FullUrl = $"{ResultBundles.BaseUrl(request)}/{existing.ResourceType}/{existing.Id}",
                Response = new Bundle.ResponseComponent
                {
                    Status = "200 OK",
                    Location = existing.VersionedReference,
                    Etag = $"W/\"{existing.VersionId}\"",
                    LastModified = existing.LastUpdated,
                },
            };
        }
        var target = planned.Target;
        if (target.Id is null)
        {
            var parameters = QueryHelpers.ParseQuery(target.Query ?? "");
            var (query, ignored) = interactions.ParseSearch(target.Type, parameters, lenient: false);
            var page = await interactions.Store.SearchAsync(query, ct);
            return new Bundle.EntryComponent
            {
                Resource = ResultBundles.SearchSet(request, "/" + target.Type, parameters, query, page, ignored),
                Response = new Bundle.ResponseComponent { Status = "200 OK" },
            };
        }
        var stored = await interactions.Store.ReadAsync(target.Type, target.Id, ct);
        if (stored is not { IsDeleted: false })
            throw FhirException.NotFound($"{target.Type}/{target.Id} is not known.");
        return new Bundle.EntryComponent
        {
            FullUrl = $"{ResultBundles.BaseUrl(request)}/{stored.ResourceType}/{stored.Id}",
            Resource = FhirSerialization.ParseStored(stored.Json!),
            Response = new Bundle.ResponseComponent { Status = "200 OK", Etag = $"W/\"{stored.VersionId}\"", LastModified = stored.LastUpdated },
        };
    }
}
