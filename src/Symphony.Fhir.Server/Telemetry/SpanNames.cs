using System.Diagnostics;
using System.Text.RegularExpressions;
using OpenTelemetry;

namespace Symphony.Fhir.Server.Telemetry;

/// <summary>
/// Names that tell spans apart in a trace viewer, where the instrumentations' own are the same for most spans: a FHIR
/// request is named with its resource type (<c>POST /DocumentReference</c>, not <c>POST /{type}</c>) and a PostgreSQL
/// statement by what it does to which table (<c>INSERT resource_history</c>, not <c>postgresql</c>). Both stay low in
/// cardinality: a type is one of FHIR's, and a statement's name leaves its values and conditions out.
/// </summary>
public sealed partial class SpanNames : BaseProcessor<Activity>
{
    /// <summary>Most statements named in a batch's span; the rest are counted.</summary>
    const int MaxStatementsNamed = 3;

    public override void OnEnd(Activity span)
    {
        if (span.Kind == ActivityKind.Server && span.GetTagItem("http.route") is string route && route.Contains("{type}", StringComparison.Ordinal)
            && span.GetTagItem("http.request.method") is string method && span.GetTagItem("url.path") is string path
            && path.Split('/', StringSplitOptions.RemoveEmptyEntries) is [var type, ..] && ResourceType().IsMatch(type))
            span.DisplayName = $"{method} {route.Replace("{type}", type, StringComparison.Ordinal)}";
        else if (span.Source.Name == "Npgsql" && span.GetTagItem("db.query.text") is string sql && Statement(sql) is { } name)
            span.DisplayName = name;
    }

    /// <summary>What a statement (or a batch, up to three) does to which table: <c>INSERT resource_history; INSERT resource</c>.</summary>
    public static string? Statement(string sql)
    {
        var names = new List<string>();
        foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Verb().Match(statement) is not { Success: true } verb) continue;
            var target = Table().Match(statement) is { Success: true } table ? table.Groups[1].Value.Replace("\"", "", StringComparison.Ordinal)
                : Function().Match(statement) is { Success: true } function ? function.Groups[1].Value : null;
            var name = target is null ? verb.Value.ToUpperInvariant() : $"{verb.Value.ToUpperInvariant()} {target}";
            if (names.Count == 0 || names[^1] != name) names.Add(name);
        }
        return names.Count switch
        {
            0 => null,
            <= MaxStatementsNamed => string.Join("; ", names),
            _ => $"{string.Join("; ", names.Take(MaxStatementsNamed))}; +{names.Count - MaxStatementsNamed}",
        };
    }

    [GeneratedRegex("^[A-Z][A-Za-z]{1,63}$")]
    private static partial Regex ResourceType();

    [GeneratedRegex(@"^[A-Za-z]+")]
    private static partial Regex Verb();

    /// <summary>
    /// The table a statement reads or writes: the first name after FROM, INTO or UPDATE that is not a function call
    /// (<c>unnest(</c>; a column list has a space before its parenthesis: <c>INTO resource (</c>).
    /// </summary>
    [GeneratedRegex(@"\b(?:FROM|INTO|UPDATE)\s+(?>(""?[A-Za-z_]\w*""?(?:\.""?[A-Za-z_]\w*""?)?))(?!\()", RegexOptions.IgnoreCase)]
    private static partial Regex Table();

    /// <summary>A statement that only calls a function (<c>SELECT pg_advisory_xact_lock(…)</c>) is named after it.</summary>
    [GeneratedRegex(@"^SELECT\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex Function();
}
