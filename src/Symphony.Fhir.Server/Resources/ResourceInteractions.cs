using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Resources;

/// <summary>The checks and store calls behind create, update and delete, shared by the REST endpoints and Bundles.</summary>
public sealed class ResourceInteractions(IResourceStore store, ResourceValidator validator, IOptions<FhirOptions> options)
{
    public IResourceStore Store => store;

    /// <summary>A search of the REST API, a Bundle entry or a conditional create, within the configured limits.</summary>
    public SearchRequest.Parsed ParseSearch(string resourceType, IEnumerable<KeyValuePair<string, StringValues>> parameters, bool lenient) =>
        SearchRequest.Parse(resourceType, parameters, lenient, options.Value.MaxSearchValues);

    public static void EnsureKnownType(string resourceType)
    {
        if (!ModelInfo.IsKnownResource(resourceType) || resourceType is "Resource" or "DomainResource")
            throw FhirException.NotFound($"'{resourceType}' is not a FHIR R4 resource type.");
    }

    public ResourceWrite PrepareCreate(string resourceType, Resource resource)
    {
        EnsureMatchingType(resourceType, resource);
        Validate(resource);
        return ResourceWrite.Create(resource);
    }

    public ResourceWrite PrepareUpdate(string resourceType, string id, Resource resource, int? ifMatchVersion)
    {
        EnsureMatchingType(resourceType, resource);
        if (string.IsNullOrEmpty(resource.Id))
            throw FhirException.BadRequest("An update needs the resource id in the body.", $"{resourceType}.id");
        if (resource.Id != id)
            throw FhirException.BadRequest($"The body has id '{resource.Id}' but the URL names '{id}'.", $"{resourceType}.id");
        Validate(resource);
        return ResourceWrite.Upsert(resource, ifMatchVersion);
    }

    /// <summary>422 with the validator's issues (each with its expression) when the resource breaks R4 core.</summary>
    public void Validate(Resource resource)
    {
        var outcome = validator.Validate(resource);
        if (ResourceValidator.HasErrors(outcome))
            throw new FhirException(StatusCodes.Status422UnprocessableEntity, outcome);
    }

    /// <summary>Conditional create: the one resource matching the If-None-Exist query, null if none, 412 if several.</summary>
    public async Task<StoredResource?> FindExistingAsync(string resourceType, string ifNoneExist, CancellationToken ct)
    {
        var parameters = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(
            ifNoneExist.Contains('?') ? ifNoneExist[ifNoneExist.IndexOf('?')..] : ifNoneExist);
        var query = ParseSearch(resourceType, parameters, lenient: false).Query with { Count = 2, CountAll = false };
        var page = await store.SearchAsync(query, ct);
        return page.Matches.Count switch
        {
            0 => null,
            1 => page.Matches[0],
            _ => throw new FhirException(StatusCodes.Status412PreconditionFailed, Outcomes.Error(
                OperationOutcome.IssueType.MultipleMatches, $"If-None-Exist '{ifNoneExist}' matches more than one {resourceType}.")),
        };
    }

    public static int StatusCodeOf(WriteResult result) => result.Status switch
    {
        WriteStatus.Created => StatusCodes.Status201Created,
        WriteStatus.Deleted => StatusCodes.Status204NoContent,
        WriteStatus.NotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status200OK,
    };

    /// <summary>W/"3" or "3" → 3; anything else is a 400.</summary>
    public static int? ParseETag(string? etag)
    {
        if (string.IsNullOrWhiteSpace(etag))
            return null;
        var value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
            value = value[2..];
        return int.TryParse(value.Trim('"'), out var version)
            ? version
            : throw FhirException.BadRequest($"'{etag}' is not a version ETag such as W/\"1\".");
    }

    private static void EnsureMatchingType(string resourceType, Resource resource)
    {
        if (resource.TypeName != resourceType)
            throw FhirException.BadRequest($"The body is a {resource.TypeName}, not a {resourceType}.", "resourceType");
    }
}
