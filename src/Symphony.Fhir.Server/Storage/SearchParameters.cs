using System.Collections.Frozen;
using System.Globalization;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace Symphony.Fhir.Server.Storage;

/// <summary>A search parameter this server indexes, taken from the R4 definitions (FHIRPath per resource type).</summary>
public sealed record SearchParameterInfo(
    string Name, SearchParamKind Kind, string ResourceType, IReadOnlyList<string> Expressions, string? OnlyTargetType);

/// <summary>A value extracted from a resource for one search parameter (a row of the search index).</summary>
public sealed record IndexRow(string Name, string? System, string? Value, DateTimeOffset? Low, DateTimeOffset? High);

/// <summary>
/// The search parameters the product needs, for every resource type that defines them in R4, and the code
/// that extracts their values when a resource is written. Only these are advertised and accepted.
/// </summary>
public static class SearchParameters
{
    public static readonly IReadOnlyList<string> ImplementedNames =
        ["patient", "subject", "encounter", "status", "code", "date", "target", "focus", "identifier"];

    private const string PatientOnly = ".where(resolve() is Patient)";

    private static readonly FrozenDictionary<string, FrozenDictionary<string, SearchParameterInfo>> ByType =
        BuildRegistry();

    public static IReadOnlyDictionary<string, SearchParameterInfo> For(string resourceType) =>
        ByType.TryGetValue(resourceType, out var parameters)
            ? parameters
            : FrozenDictionary<string, SearchParameterInfo>.Empty;

    public static IReadOnlyList<IndexRow> Extract(Resource resource)
    {
        var rows = new List<IndexRow>();
        foreach (var parameter in For(resource.TypeName).Values)
        {
            foreach (var expression in parameter.Expressions)
            {
                foreach (var value in resource.Select(expression))
                {
                    if (value is not null)
                        AddRows(rows, parameter, value);
                }
            }
        }
        return rows;
    }

    /// <summary>"Patient/1", "http://host/fhir/Patient/1/_history/2" → (Patient, 1); "urn:uuid:x" → (null, urn:uuid:x); contained and conditional references → null.</summary>
    public static (string? Type, string Id)? ParseReference(string? reference)
    {
        if (string.IsNullOrEmpty(reference) || reference.StartsWith('#') || reference.Contains('?'))
            return null;
        if (reference.StartsWith("urn:", StringComparison.Ordinal))
            return (null, reference);
        var parts = reference.Split('/');
        var historyAt = Array.IndexOf(parts, "_history");
        var end = historyAt >= 0 ? historyAt : parts.Length;
        if (end < 2)
            return (null, reference);
        var type = parts[end - 2];
        return ModelInfo.IsKnownResource(type) ? (type, parts[end - 1]) : (null, reference);
    }

    /// <summary>The instant range a FHIR date, dateTime or instant covers, to the microsecond ("2020" covers the whole year).</summary>
    public static (DateTimeOffset Low, DateTimeOffset High)? ParseDateRange(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        var culture = CultureInfo.InvariantCulture;
        DateTimeOffset low;
        DateTimeOffset next;
        switch (text.Length)
        {
            case 4 when DateTimeOffset.TryParseExact(text, "yyyy", culture, styles, out low):
                next = low.AddYears(1);
                break;
            case 7 when DateTimeOffset.TryParseExact(text, "yyyy-MM", culture, styles, out low):
                next = low.AddMonths(1);
                break;
            case 10 when DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", culture, styles, out low):
                next = low.AddDays(1);
                break;
            default:
                if (text.Length < 16 || !DateTimeOffset.TryParse(text, culture, styles, out low))
                    return null;
                low = TruncateToMicroseconds(low.ToUniversalTime());
                // Without fractional seconds the value stands for its whole second.
                next = text.Contains('.') ? low.AddTicks(10) : low.AddSeconds(1);
                break;
        }
        return (low, next.AddTicks(-10));
    }

    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);

    private static void AddRows(List<IndexRow> rows, SearchParameterInfo parameter, Base value)
    {
        switch (parameter.Kind, value)
        {
            case (SearchParamKind.Reference, ResourceReference reference):
                var parsed = ParseReference(reference.Reference);
                if (parsed is { } target && (parameter.OnlyTargetType is null || parameter.OnlyTargetType == target.Type))
                    rows.Add(new IndexRow(parameter.Name, target.Type, target.Id, null, null));
                break;
            case (SearchParamKind.Token, CodeableConcept concept):
                foreach (var coding in concept.Coding)
                    AddToken(rows, parameter.Name, coding.System, coding.Code);
                break;
            case (SearchParamKind.Token, Coding coding):
                AddToken(rows, parameter.Name, coding.System, coding.Code);
                break;
            case (SearchParamKind.Token, Identifier identifier):
                AddToken(rows, parameter.Name, identifier.System, identifier.Value);
                break;
            case (SearchParamKind.Token, PrimitiveType primitive):
                AddToken(rows, parameter.Name, null, primitive.ToString());
                break;
            case (SearchParamKind.Date, Period period):
                var start = ParseDateRange(period.Start);
                var end = ParseDateRange(period.End);
                if (start is not null || end is not null)
                    rows.Add(new IndexRow(parameter.Name, null, null, start?.Low, end?.High));
                break;
            case (SearchParamKind.Date, FhirDateTime or Date or Instant):
                if (ParseDateRange(value.ToString()) is { } range)
                    rows.Add(new IndexRow(parameter.Name, null, null, range.Low, range.High));
                break;
        }
    }

    private static void AddToken(List<IndexRow> rows, string name, string? system, string? code)
    {
        if (!string.IsNullOrEmpty(code))
            rows.Add(new IndexRow(name, string.IsNullOrEmpty(system) ? null : system, code, null, null));
    }

    private static FrozenDictionary<string, FrozenDictionary<string, SearchParameterInfo>> BuildRegistry()
    {
        var kinds = new Dictionary<SearchParamType, SearchParamKind>
        {
            [SearchParamType.Token] = SearchParamKind.Token,
            [SearchParamType.Reference] = SearchParamKind.Reference,
            [SearchParamType.Date] = SearchParamKind.Date,
        };
        var parameters = new List<SearchParameterInfo>();
        foreach (var definition in ModelInfo.SearchParameters)
        {
            if (definition.Resource is null || definition.Expression is null || definition.Name is null
                || !ImplementedNames.Contains(definition.Name) || !kinds.TryGetValue(definition.Type, out var kind))
                continue;
            var onlyTarget = (string?)null;
            var expressions = new List<string>();
            foreach (var part in definition.Expression.Split('|', StringSplitOptions.TrimEntries))
            {
                var expression = part;
                if (!expression.StartsWith(definition.Resource + ".", StringComparison.Ordinal)
                    && !expression.StartsWith("(" + definition.Resource + ".", StringComparison.Ordinal))
                    continue;
                if (expression.EndsWith(PatientOnly, StringComparison.Ordinal))
                {
                    expression = expression[..^PatientOnly.Length];
                    onlyTarget = "Patient";
                }
                if (expression.Contains("resolve()", StringComparison.Ordinal))
                    continue;
                expressions.Add(expression);
            }
            if (definition.Name == "patient")
                onlyTarget = "Patient";
            if (expressions.Count > 0)
                parameters.Add(new SearchParameterInfo(definition.Name, kind, definition.Resource, expressions, onlyTarget));
        }
        return parameters
            .GroupBy(p => p.ResourceType)
            .ToFrozenDictionary(g => g.Key, g => g.DistinctBy(p => p.Name).ToFrozenDictionary(p => p.Name));
    }
}
