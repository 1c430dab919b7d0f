namespace Symphony.Terminology.Model;

/// <summary>A value set as a rule: the union of <see cref="Include"/> minus anything matched by <see cref="Exclude"/>.</summary>
public sealed record ValueSetDefinition(string Url, string? Version, string? Name, IReadOnlyList<ValueSetRule> Include, IReadOnlyList<ValueSetRule> Exclude);

/// <summary>
/// One compose include/exclude: codes of <see cref="System"/> that are listed in <see cref="Codes"/> (all
/// codes when empty), pass every filter, and belong to every value set in <see cref="ValueSets"/>.
/// </summary>
public sealed record ValueSetRule(string? System, string? Version, IReadOnlyList<string> Codes, IReadOnlyList<ValueSetFilter> Filters, IReadOnlyList<string> ValueSets);

/// <summary>A compose filter: property "concept" with op is-a / descendent-of / is-not-a, or any property with op "=".</summary>
public sealed record ValueSetFilter(string Property, string Op, string Value);
