using Hl7.Fhir.Model;
using Microsoft.Extensions.Primitives;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Resources;

/// <summary>
/// Turns search URL parameters into a <see cref="SearchQuery"/>. Values separated by commas are OR-ed, repeated
/// parameters AND-ed. Unknown parameters are a 400, or ignored with a warning under Prefer: handling=lenient.
/// </summary>
public static class SearchRequest
{
    public const int DefaultCount = 20;
    public const int MaxCount = 1000;

    private static readonly string[] DatePrefixes = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"];

    /// <summary>Parameters that only shape the answer; accepted and not treated as filters.</summary>
    private static readonly HashSet<string> ResultParameters =
        [KnownParameters.Format, KnownParameters.Pretty, KnownParameters.Count, KnownParameters.Offset, KnownParameters.Sort, KnownParameters.Include];

    public sealed record Parsed(SearchQuery Query, IReadOnlyList<string> Ignored);

    /// <summary>
    /// The query of the given parameters. More than <paramref name="maxValues"/> values in all (each a,b,c counting
    /// three) is a 400 before any is parsed: every value becomes a condition of the database query.
    /// </summary>
    public static Parsed Parse(string resourceType, IEnumerable<KeyValuePair<string, StringValues>> parameters, bool lenient, int maxValues)
    {
        parameters = parameters.ToList();
        var valueCount = parameters.Where(p => !ResultParameters.Contains(p.Key) || p.Key == KnownParameters.Include)
            .Sum(p => p.Value.Sum(v => v is null ? 0 : v.Count(c => c == ',') + 1));
        if (valueCount > maxValues)
        {
            throw FhirException.BadRequest(
                $"The search has {valueCount} values; the limit is {maxValues} ({FhirOptions.Name(nameof(FhirOptions.MaxSearchValues))}). Split it into several searches.");
        }

        var known = SearchParameters.For(resourceType);
        var criteria = new List<SearchCriterion>();
        var ignored = new List<string>();
        var includes = new List<string>();
        var count = DefaultCount;
        var offset = 0;
        var newestFirst = false;

        foreach (var (name, values) in parameters)
        {
            // An empty value means the parameter is not used (FHIR search rules).
            foreach (var value in values.Where(v => !string.IsNullOrWhiteSpace(v) && Split(v).Any()).Cast<string>())
            {
                switch (name)
                {
                    case KnownParameters.Count:
                        count = ParseCount(value);
                        break;
                    case KnownParameters.Offset:
                        offset = ParseOffset(value);
                        break;
                    case KnownParameters.Sort:
                        newestFirst = value switch
                        {
                            "_lastUpdated" => false,
                            "-_lastUpdated" => true,
                            _ => throw FhirException.BadRequest($"_sort supports _lastUpdated and -_lastUpdated, not '{value}'."),
                        };
                        break;
                    case KnownParameters.Include:
                        var include = ParseInclude(resourceType, known, value);
                        if (!includes.Contains(include)) // the same _include twice reads the same resources twice
                            includes.Add(include);
                        break;
                    case KnownParameters.Id:
                        criteria.Add(new SearchCriterion(name, SearchParamKind.Token, Split(value).Select(id => new SearchValue(Code: id)).ToList()));
                        break;
                    case KnownParameters.LastUpdated:
                        criteria.Add(new SearchCriterion(name, SearchParamKind.Date, Split(value).Select(ParseDate).ToList()));
                        break;
                    default:
                        if (ResultParameters.Contains(name))
                            break;
                        if (!known.TryGetValue(name, out var parameter))
                        {
                            var message = $"Unknown search parameter '{name}' for {resourceType}.";
                            if (!lenient)
                                throw FhirException.BadRequest(message + " Supported: " + string.Join(", ", Supported(resourceType)) + ".");
                            ignored.Add(message);
                            break;
                        }
                        criteria.Add(new SearchCriterion(name, parameter.Kind, Split(value).Select(v => parameter.Kind switch
                        {
                            SearchParamKind.Date => ParseDate(v),
                            SearchParamKind.Reference => ParseReferenceValue(v),
                            _ => ParseToken(v),
                        }).ToList()));
                        break;
                }
            }
        }
        return new Parsed(new SearchQuery(resourceType, criteria, count, offset, newestFirst, includes), ignored);
    }

    /// <summary>The parameter names accepted for a type, in the order the CapabilityStatement lists them.</summary>
    public static IEnumerable<string> Supported(string resourceType) =>
        new[] { KnownParameters.Id, KnownParameters.LastUpdated }.Concat(SearchParameters.For(resourceType).Keys.Order());

    public static SearchValue ParseDate(string value)
    {
        var prefix = value.Length > 2 && DatePrefixes.Contains(value[..2]) ? value[..2] : "eq";
        var text = prefix == "eq" && !value.StartsWith("eq", StringComparison.Ordinal) ? value : value[2..];
        var range = SearchParameters.ParseDateRange(text)
            ?? throw FhirException.BadRequest($"'{value}' is not a FHIR date search value (e.g. ge2020-01-01).");
        return new SearchValue(Prefix: prefix, Low: range.Low, High: range.High);
    }

    private static SearchValue ParseToken(string value)
    {
        var bar = value.IndexOf('|');
        if (bar < 0)
            return new SearchValue(Code: value);
        var code = value[(bar + 1)..];
        return new SearchValue(System: value[..bar], Code: code.Length == 0 ? null : code);
    }

    private static SearchValue ParseReferenceValue(string value)
    {
        var reference = SearchParameters.ParseReference(value)
            ?? throw FhirException.BadRequest($"'{value}' is not a reference search value (Type/id or id).");
        return new SearchValue(System: reference.Type, Code: reference.Id);
    }

    private static string ParseInclude(string resourceType, IReadOnlyDictionary<string, SearchParameterInfo> known, string value)
    {
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0] != resourceType
            || !known.TryGetValue(parts[1], out var parameter) || parameter.Kind != SearchParamKind.Reference)
        {
            throw FhirException.BadRequest(
                $"_include '{value}' is not supported; use {resourceType}:<reference parameter>, e.g. Condition:encounter.");
        }
        return parts[1];
    }

    /// <summary>_count: a whole number of at least 0; above <see cref="MaxCount"/> the page holds MaxCount (FHIR lets a server return fewer).</summary>
    public static int ParseCount(string value) => ParseInt(KnownParameters.Count, value, 0, MaxCount);

    public static int ParseOffset(string value) => ParseInt(KnownParameters.Offset, value, 0, int.MaxValue);

    private static int ParseInt(string name, string value, int min, int max) =>
        long.TryParse(value, out var number) && number >= min
            ? (int)Math.Min(number, max)
            : throw FhirException.BadRequest($"{name} must be a whole number of at least {min}, not '{Outcomes.Shorten(value)}'.");

    private static IEnumerable<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
