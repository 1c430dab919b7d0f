using Symphony.Terminology.Services;

namespace Symphony.Coders;

/// <summary>
/// The codes a caller accepts — a ValueSet expansion as a set of (system, code). A code the text supports outside the
/// set is rejected ("not in ValueSet url|version"), and the nearest code above it that the set holds is reported instead.
/// </summary>
public sealed class AllowedCodes(string url, string? version, IEnumerable<(string System, string Code)> codes)
{
    readonly HashSet<(string System, string Code)> _codes = codes.ToHashSet();

    public string Url => url;
    public string? Version => version;
    /// <summary>How rejections name the set: url|version, as FHIR canonical references do.</summary>
    public string Label => version is null ? url : $"{url}|{version}";
    public int Count => _codes.Count;

    public bool Contains(string system, string code) => _codes.Contains((system, code));

    /// <summary>The set of one expansion page (every item, also abstract ones: the coder never reports those anyway).</summary>
    public static AllowedCodes From(Expansion expansion, string? version = null) =>
        new(expansion.Url, version, expansion.Contains.Select(i => (i.System, i.Code)));

    /// <summary>The whole expansion of a value set the service knows, read page by page.</summary>
    public static AllowedCodes Expand(TerminologyService service, string url, DateOnly? date = null)
    {
        var definition = service.ResolveValueSet(url);
        var codes = new List<(string, string)>();
        for (var offset = 0; ; )
        {
            var page = service.Expand(definition, offset: offset, count: PageSize, date: date);
            codes.AddRange(page.Contains.Select(i => (i.System, i.Code)));
            offset += page.Contains.Count;
            if (page.Contains.Count == 0 || offset >= page.Total) break;
        }
        return new AllowedCodes(definition.Url, definition.Version, codes);
    }

    /// <summary>The largest page <see cref="TerminologyService.Expand(string, string?, int, int, DateOnly?)"/> gives.</summary>
    const int PageSize = 10_000;
}
