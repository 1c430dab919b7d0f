using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Primitives;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Resources;

/// <summary>Search-set and history Bundles with full URLs and paging links.</summary>
public static class ResultBundles
{
    public static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    public static Bundle SearchSet(
        HttpRequest request, string path, IEnumerable<KeyValuePair<string, StringValues>> parameters,
        SearchQuery query, SearchPage page, IReadOnlyList<string> warnings)
    {
        var baseUrl = BaseUrl(request);
        // A resource the token may not read — an included one, or a match outside a patient/ scope's compartment — is
        // left out, not leaked; nor is the count of such matches.
        var scopes = request.HttpContext.RequestServices.GetRequiredService<ScopePolicy>();
        var compartment = scopes.Allows(request.HttpContext, path.TrimStart('/'), SmartPermission.Search)
            ? null
            : scopes.CompartmentFor(request.HttpContext, path.TrimStart('/'), SmartPermission.Search);
        var matches = compartment is null ? page.Matches : page.Matches.Where(r => PatientCompartment.Contains(r, compartment)).ToList();
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = compartment is null ? page.Total : null };
        AddPagingLinks(bundle, baseUrl + path, parameters, query.Count, query.Offset, page.Total);
        foreach (var match in matches)
            bundle.Entry.Add(Entry(baseUrl, match, Bundle.SearchEntryMode.Match));
        foreach (var included in page.Included.Where(r => scopes.CanRead(request.HttpContext, r)))
            bundle.Entry.Add(Entry(baseUrl, included, Bundle.SearchEntryMode.Include));
        if (warnings.Count > 0)
        {
            var outcome = new OperationOutcome();
            foreach (var warning in warnings)
            {
                outcome.Issue.Add(new OperationOutcome.IssueComponent
                {
                    Severity = OperationOutcome.IssueSeverity.Warning,
                    Code = OperationOutcome.IssueType.NotSupported,
                    Diagnostics = warning,
                });
            }
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = outcome,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome },
            });
        }
        return bundle;
    }

    public static Bundle History(HttpRequest request, HistoryQuery query, HistoryPage page)
    {
        var baseUrl = BaseUrl(request);
        var bundle = new Bundle { Type = Bundle.BundleType.History, Total = page.Total };
        AddPagingLinks(bundle, baseUrl + request.Path, request.Query, query.Count, query.Offset, page.Total);
        foreach (var version in page.Versions)
        {
            var url = $"{version.ResourceType}/{version.Id}";
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{url}",
                Resource = version.Json is null ? null : FhirSerialization.ParseStored(version.Json),
                Request = new Bundle.RequestComponent
                {
                    Method = version.IsDeleted ? Bundle.HTTPVerb.DELETE : version.VersionId == 1 ? Bundle.HTTPVerb.POST : Bundle.HTTPVerb.PUT,
                    Url = version.VersionId == 1 && !version.IsDeleted ? version.ResourceType : url,
                },
                Response = new Bundle.ResponseComponent
                {
                    Status = version.IsDeleted ? "204" : version.VersionId == 1 ? "201" : "200",
                    Etag = $"W/\"{version.VersionId}\"",
                    LastModified = version.LastUpdated,
                },
            });
        }
        return bundle;
    }

    private static Bundle.EntryComponent Entry(string baseUrl, StoredResource stored, Bundle.SearchEntryMode mode) => new()
    {
        FullUrl = $"{baseUrl}/{stored.ResourceType}/{stored.Id}",
        Resource = FhirSerialization.ParseStored(stored.Json!),
        Search = new Bundle.SearchComponent { Mode = mode },
    };

    private static void AddPagingLinks(
        Bundle bundle, string url, IEnumerable<KeyValuePair<string, StringValues>> parameters, int count, int offset, int total)
    {
        var kept = parameters.Where(p => p.Key != KnownParameters.Offset).ToList();
        string Page(int pageOffset)
        {
            var query = new QueryBuilder(kept.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))));
            if (pageOffset > 0)
                query.Add(KnownParameters.Offset, pageOffset.ToString());
            return url + query.ToQueryString();
        }

        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = Page(offset) });
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "first", Url = Page(0) });
        if (count > 0 && offset > 0)
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "previous", Url = Page(Math.Max(0, offset - count)) });
        if (count > 0 && (long)offset + count < total)
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = Page(offset + count) });
    }

    /// <summary>Query parameters of a GET search, or of a POST _search form merged with its URL query.</summary>
    public static async Task<List<KeyValuePair<string, StringValues>>> SearchParametersAsync(HttpRequest request, CancellationToken ct)
    {
        var parameters = request.Query.ToList();
        if (HttpMethods.IsPost(request.Method) && request.HasFormContentType)
        {
            try
            {
                parameters.AddRange(await request.ReadFormAsync(ct));
            }
            catch (InvalidDataException exception) // the form reader's own limits: 1,024 fields, 2 KB names, 4 MB values
            {
                throw FhirException.BadRequest($"The search form cannot be read: {exception.Message}");
            }
        }
        return parameters;
    }

    public static bool IsLenient(HttpRequest request) =>
        request.Headers[KnownHeaders.Prefer].Any(value => value?.Contains("handling=lenient", StringComparison.OrdinalIgnoreCase) == true);
}
