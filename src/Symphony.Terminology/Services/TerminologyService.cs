using System.Collections.Concurrent;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Services;

/// <summary>A code system (or a version of it) or a value set the caller named is not loaded.</summary>
public sealed class TerminologyNotFoundException(string message) : Exception(message);

public sealed record LookupResult(CodeSystemVersion System, Concept Concept, IReadOnlyList<Concept> Children, Concept? Parent);

public sealed record ValidationResult(bool Result, string Message, string? Display, string? Version)
{
    public static ValidationResult Invalid(string message, string? version = null) => new(false, message, null, version);
}

public enum SubsumptionOutcome { Equivalent, Subsumes, SubsumedBy, NotSubsumed }

public sealed record ExpansionItem(string System, string Version, string Code, string Display, bool Abstract);

public sealed record Expansion(string Url, int Total, int Offset, IReadOnlyList<ExpansionItem> Contains);

/// <summary>
/// The terminology operations over every loaded code system version and value set, side by side.
/// Typed in, typed out: FHIR <c>Parameters</c> live at the HTTP edge only. Versions are swapped in
/// atomically (readers never see a half-loaded version).
/// </summary>
public sealed class TerminologyService
{
    readonly ConcurrentDictionary<string, ImmutableVersions> systems = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, ValueSetDefinition> valueSets = new(StringComparer.Ordinal);
    // Compiled value sets by definition and date: rebuilt after any load (Add/Remove clear it).
    readonly ConcurrentDictionary<(ValueSetDefinition, DateOnly?), CompiledValueSet> expansions = new();

    /// <summary>
    /// A value set's members per code system, and its full unfiltered expansion (null when it is simply
    /// every code of one system, which needs no list).
    /// </summary>
    sealed record CompiledValueSet(List<Membership> Members, Lazy<IReadOnlyList<(CompiledCodeSystem Cs, int Id)>?> All);

    // Implicit value sets ("?fhir_vs") are made once per URL so their compiled form can be reused.
    readonly ConcurrentDictionary<string, ValueSetDefinition> implicitValueSets = new(StringComparer.Ordinal);
    const int MaxCachedValueSets = 10_000;

    CompiledValueSet Compile(ValueSetDefinition vs, DateOnly? date)
    {
        if (expansions.Count > MaxCachedValueSets) expansions.Clear();
        return expansions.GetOrAdd((vs, date), key => CompileUncached(key.Item1, key.Item2));
    }

    CompiledValueSet CompileUncached(ValueSetDefinition vs, DateOnly? date)
    {
        var members = Members(vs, date, depth: 0);
        return new CompiledValueSet(members, new Lazy<IReadOnlyList<(CompiledCodeSystem Cs, int Id)>?>(() =>
            members.Count == 1 && members[0].Accept is null && members[0].Candidates is null
                ? null
                : members.SelectMany(m => (m.Candidates ?? Enumerable.Range(0, m.Cs.Concepts.Length))
                    .Where(id => m.Accept is null || m.Accept(id)).Select(id => (m.Cs, id))).ToList()));
    }

    sealed record ImmutableVersions(IReadOnlyList<CompiledCodeSystem> Items);

    public const string ImplicitValueSetSuffix = "?fhir_vs";

    /// <summary>Serves <paramref name="version"/> (compiled once per process, see <see cref="CompiledCodeSystem.Of"/>), replacing a loaded version of the same number.</summary>
    public CompiledCodeSystem Add(CodeSystemVersion version) => Add(CompiledCodeSystem.Of(version));

    public CompiledCodeSystem Add(CompiledCodeSystem compiled)
    {
        var version = compiled.Version;
        expansions.Clear();
        systems.AddOrUpdate(version.Url,
            _ => new ImmutableVersions([compiled]),
            (_, existing) => new ImmutableVersions([.. existing.Items.Where(v => v.Version.Version != version.Version).Append(compiled).OrderBy(v => v.Version.EffectiveFrom ?? DateOnly.MinValue).ThenBy(v => v.Version.Version, StringComparer.Ordinal)]));
        return compiled;
    }

    public void Add(ValueSetDefinition valueSet)
    {
        valueSets[valueSet.Url] = valueSet;
        expansions.Clear();
    }

    public bool Remove(string url, string version)
    {
        if (!systems.TryGetValue(url, out var existing)) return false;
        var left = existing.Items.Where(v => v.Version.Version != version).ToList();
        if (left.Count == existing.Items.Count) return false;
        expansions.Clear();
        if (left.Count == 0) systems.TryRemove(url, out _);
        else systems[url] = new ImmutableVersions(left);
        return true;
    }

    public IReadOnlyList<CodeSystemVersion> CodeSystems =>
        systems.Values.SelectMany(v => v.Items).Select(c => c.Version).OrderBy(v => v.Url, StringComparer.Ordinal).ThenBy(v => v.EffectiveFrom).ToList();

    public IReadOnlyList<ValueSetDefinition> ValueSets => [.. valueSets.Values];

    public bool HasSystem(string url) => systems.ContainsKey(url);

    /// <summary>The loaded versions of one code system, oldest in force first (empty when none is loaded).</summary>
    public IReadOnlyList<CompiledCodeSystem> VersionsOf(string url) => systems.TryGetValue(url, out var versions) ? versions.Items : [];

    /// <summary>
    /// The release in force on <paramref name="day"/> among <paramref name="ordered"/> (oldest in force first): the newest
    /// whose first day is on or before it (a release with no first day counts as always in force); null when every one starts later.
    /// </summary>
    public static T? InForce<T>(IReadOnlyList<T> ordered, Func<T, DateOnly?> effectiveFrom, DateOnly day) where T : class =>
        ordered.LastOrDefault(v => effectiveFrom(v) is not { } from || from <= day);

    /// <summary>
    /// The version asked for; else the one in force on <paramref name="date"/> (the newest whose
    /// EffectiveFrom is on or before it); else the newest. Throws when the system or version is unknown.
    /// </summary>
    public CompiledCodeSystem Resolve(string url, string? version = null, DateOnly? date = null)
    {
        if (!systems.TryGetValue(url, out var versions))
            throw new TerminologyNotFoundException($"Code system {url} is not known to this server");
        if (!string.IsNullOrEmpty(version))
            return versions.Items.FirstOrDefault(v => v.Version.Version == version)
                ?? throw new TerminologyNotFoundException($"Code system {url} version {version} is not known to this server; known: {string.Join(", ", versions.Items.Select(v => v.Version.Version))}");
        if (date is { } day)
            return InForce(versions.Items, v => v.Version.EffectiveFrom, day)
                ?? throw new TerminologyNotFoundException($"No version of {url} is in force on {day:yyyy-MM-dd}");
        return versions.Items[^1];
    }

    // ------------------------------------------------------------------ CodeSystem operations

    public LookupResult Lookup(string system, string code, string? version = null, DateOnly? date = null)
    {
        var cs = Resolve(system, version, date);
        var id = cs.IdOf(code);
        if (id < 0) throw new TerminologyNotFoundException($"Code '{code}' is not in {system} version {cs.Version.Version}");
        var parent = cs.ParentOf(id);
        return new LookupResult(cs.Version, cs.Concepts[id], cs.ChildrenOf(id).Select(c => cs.Concepts[c]).ToList(), parent >= 0 ? cs.Concepts[parent] : null);
    }

    /// <summary>
    /// True when the code exists and may be reported (ICD-10-CM/PCS: billable; a header such as S52.521
    /// is refused with a hint) and, when a display is given, it is one of the concept's names.
    /// </summary>
    public ValidationResult ValidateCode(string system, string code, string? version = null, DateOnly? date = null, string? display = null)
    {
        var cs = Resolve(system, version, date);
        var v = cs.Version.Version;
        var id = cs.IdOf(code);
        if (id < 0) return ValidationResult.Invalid($"Unknown code '{code}' in the code system '{system}' version '{v}'", v);
        var concept = cs.Concepts[id];
        if (!concept.IsBillable)
        {
            var example = cs.SelfAndDescendants(id).Select(i => cs.Concepts[i]).FirstOrDefault(c => c.IsBillable);
            var hint = example is null ? "" : $"; use a more specific code, e.g. {example.Code}";
            return new ValidationResult(false, $"Code '{concept.Code}' in '{system}' version '{v}' is a heading ({concept.Kind}), not valid for reporting{hint}", concept.Display, v);
        }
        if (display is not null && !IsDisplayOf(concept, display))
            return new ValidationResult(false, $"Display '{display}' is not a name of code '{concept.Code}' in '{system}' version '{v}'; expected '{concept.Display}'", concept.Display, v);
        return new ValidationResult(true, $"Code '{concept.Code}' is valid in '{system}' version '{v}'", concept.Display, v);
    }

    static bool IsDisplayOf(Concept concept, string display) =>
        string.Equals(concept.Display, display.Trim(), StringComparison.OrdinalIgnoreCase)
        || string.Equals(concept.ShortDisplay, display.Trim(), StringComparison.OrdinalIgnoreCase)
        || concept.Designations.Any(d => string.Equals(d.Value, display.Trim(), StringComparison.OrdinalIgnoreCase));

    public SubsumptionOutcome Subsumes(string system, string codeA, string codeB, string? version = null)
    {
        var cs = Resolve(system, version);
        var a = cs.IdOf(codeA);
        var b = cs.IdOf(codeB);
        if (a < 0) throw new TerminologyNotFoundException($"Code '{codeA}' is not in {system} version {cs.Version.Version}");
        if (b < 0) throw new TerminologyNotFoundException($"Code '{codeB}' is not in {system} version {cs.Version.Version}");
        if (a == b) return SubsumptionOutcome.Equivalent;
        if (cs.IsAncestor(a, b)) return SubsumptionOutcome.Subsumes;
        if (cs.IsAncestor(b, a)) return SubsumptionOutcome.SubsumedBy;
        return SubsumptionOutcome.NotSubsumed;
    }

    // ------------------------------------------------------------------ ValueSet operations

    /// <summary>A loaded value set, or an implicit one: "{system}?fhir_vs" (all codes) or "{system}?fhir_vs=isa/{code}".</summary>
    public ValueSetDefinition ResolveValueSet(string url)
    {
        if (valueSets.TryGetValue(url, out var vs)) return vs;
        var marker = url.IndexOf(ImplicitValueSetSuffix, StringComparison.Ordinal);
        if (marker > 0)
        {
            var system = url[..marker];
            if (!HasSystem(system)) throw new TerminologyNotFoundException($"Code system {system} of implicit value set {url} is not known to this server");
            if (implicitValueSets.TryGetValue(url, out var known)) return known;
            if (implicitValueSets.Count > MaxCachedValueSets) implicitValueSets.Clear();
            var rest = url[(marker + ImplicitValueSetSuffix.Length)..];
            IReadOnlyList<ValueSetFilter> filters = rest.StartsWith("=isa/", StringComparison.Ordinal)
                ? [new ValueSetFilter("concept", "is-a", Uri.UnescapeDataString(rest[5..]))]
                : rest.Length == 0 ? [] : throw new TerminologyNotFoundException($"Unsupported implicit value set {url}");
            return implicitValueSets.GetOrAdd(url, new ValueSetDefinition(url, null, null, [new ValueSetRule(system, null, [], filters, [])], []));
        }
        throw new TerminologyNotFoundException($"Value set {url} is not known to this server");
    }

    /// <param name="filter">Text filter: every word must occur (as a word or word prefix); results are ranked by relevance.</param>
    public Expansion Expand(string url, string? filter = null, int offset = 0, int count = 100, DateOnly? date = null)
        => Expand(ResolveValueSet(url), filter, offset, count, date);

    public Expansion Expand(ValueSetDefinition vs, string? filter = null, int offset = 0, int count = 100, DateOnly? date = null)
    {
        offset = Math.Max(0, offset);
        count = Math.Clamp(count, 0, 10_000);
        var compiled = Compile(vs, date);
        var members = compiled.Members;
        var page = new List<ExpansionItem>(Math.Min(count, 1000));
        int total;
        if (!string.IsNullOrWhiteSpace(filter))
        {
            var ranked = new List<(CompiledCodeSystem Cs, int Id, double Score)>();
            foreach (var (cs, accept, _) in members)
                ranked.AddRange(cs.Search(filter, accept).Select(r => (cs, r.Id, r.Score)));
            if (members.Count > 1) ranked.Sort((a, b) => b.Score.CompareTo(a.Score));
            total = ranked.Count;
            page.AddRange(ranked.Skip(offset).Take(count).Select(r => Item(r.Cs, r.Id)));
        }
        else
        {
            var all = compiled.All.Value;
            if (all is null)
            {
                var cs = members[0].Cs;
                total = cs.Concepts.Length;
                for (var id = offset; id < total && page.Count < count; id++) page.Add(Item(cs, id));
            }
            else
            {
                total = all.Count;
                for (var i = offset; i < total && page.Count < count; i++) page.Add(Item(all[i].Cs, all[i].Id));
            }
        }
        return new Expansion(vs.Url, total, offset, page);
    }

    static ExpansionItem Item(CompiledCodeSystem cs, int id)
    {
        var c = cs.Concepts[id];
        return new ExpansionItem(cs.Url, cs.Version.Version, c.Code, c.Display, !c.IsBillable);
    }

    public ValidationResult ValidateInValueSet(string valueSetUrl, string system, string code, string? display = null, DateOnly? date = null)
    {
        var vs = ResolveValueSet(valueSetUrl);
        foreach (var (cs, accept, _) in Compile(vs, date).Members)
        {
            if (cs.Url != system) continue;
            var id = cs.IdOf(code);
            if (id < 0 || (accept is not null && !accept(id))) continue;
            var concept = cs.Concepts[id];
            if (display is not null && !IsDisplayOf(concept, display))
                return new ValidationResult(false, $"Display '{display}' is not a name of code '{concept.Code}'; expected '{concept.Display}'", concept.Display, cs.Version.Version);
            return new ValidationResult(true, $"Code '{concept.Code}' is in value set '{valueSetUrl}'", concept.Display, cs.Version.Version);
        }
        if (!HasSystem(system)) throw new TerminologyNotFoundException($"Code system {system} is not known to this server");
        return ValidationResult.Invalid($"Code '{code}' from '{system}' is not in value set '{valueSetUrl}'");
    }

    /// <summary>
    /// What a value set draws from one code system version: a membership test over concept ids (null = all)
    /// and, when every include narrows to a subtree or a code list, those ids in code-system order
    /// (so an is-a expansion walks the subtree, not the whole system).
    /// </summary>
    sealed record Membership(CompiledCodeSystem Cs, Func<int, bool>? Accept, IReadOnlyList<int>? Candidates);

    List<Membership> Members(ValueSetDefinition vs, DateOnly? date, int depth)
    {
        if (depth > 10) throw new InvalidOperationException($"Value set {vs.Url} includes itself");
        var bySystem = new Dictionary<CompiledCodeSystem, (List<Membership> Include, List<Func<int, bool>> Exclude)>();
        foreach (var rule in vs.Include)
        {
            foreach (var member in RuleMembers(rule, date, depth))
            {
                if (!bySystem.TryGetValue(member.Cs, out var sets)) bySystem[member.Cs] = sets = ([], []);
                sets.Include.Add(member);
            }
        }
        foreach (var rule in vs.Exclude)
        {
            foreach (var member in RuleMembers(rule, date, depth))
                if (bySystem.TryGetValue(member.Cs, out var sets)) sets.Exclude.Add(member.Accept ?? (_ => true));
        }
        var result = new List<Membership>();
        foreach (var (cs, (include, exclude)) in bySystem)
        {
            Func<int, bool>? accept = include.Any(m => m.Accept is null) ? null
                : include.Count == 1 ? include[0].Accept
                : id => include.Any(m => m.Accept!(id));
            if (exclude.Count > 0)
            {
                var inner = accept;
                accept = id => (inner is null || inner(id)) && !exclude.Any(t => t(id));
            }
            IReadOnlyList<int>? candidates = include.All(m => m.Candidates is not null)
                ? include.Count == 1 ? include[0].Candidates : include.SelectMany(m => m.Candidates!).Distinct().Order().ToList()
                : null;
            result.Add(new Membership(cs, accept, candidates));
        }
        return result;
    }

    IEnumerable<Membership> RuleMembers(ValueSetRule rule, DateOnly? date, int depth)
    {
        var tests = new List<Func<int, bool>>();
        List<Membership>? nested = null;
        foreach (var url in rule.ValueSets)
        {
            var inner = Members(ResolveValueSet(url), date, depth + 1);
            nested = nested is null ? inner : nested.Where(n => inner.Any(i => i.Cs == n.Cs)).ToList();
        }
        if (rule.System is null)
        {
            // Only value sets: their intersection.
            return nested ?? [];
        }
        var cs = Resolve(rule.System, rule.Version, date);
        IReadOnlyList<int>? candidates = null;
        if (rule.Codes.Count > 0)
        {
            var ids = rule.Codes.Select(cs.IdOf).Where(id => id >= 0).Distinct().Order().ToList();
            var set = ids.ToHashSet();
            tests.Add(set.Contains);
            candidates = ids;
        }
        foreach (var filter in rule.Filters)
        {
            tests.Add(FilterTest(cs, filter));
            if (candidates is null && filter.Op is "is-a" or "descendent-of" && filter.Property is "concept" or "code")
                candidates = cs.SelfAndDescendants(cs.IdOf(filter.Value)).Order().ToList();
        }
        if (nested is not null)
        {
            var same = nested.Where(n => n.Cs == cs).ToList();
            if (same.Count == 0) return [];
            tests.AddRange(same.Where(n => n.Accept is not null).Select(n => n.Accept!));
        }
        Func<int, bool>? test = tests.Count switch { 0 => null, 1 => tests[0], _ => id => tests.All(t => t(id)) };
        return [new Membership(cs, test, candidates)];
    }

    static Func<int, bool> FilterTest(CompiledCodeSystem cs, ValueSetFilter filter)
    {
        switch (filter.Op)
        {
            case "is-a" or "descendent-of" or "is-not-a" when filter.Property is "concept" or "code":
                var root = cs.IdOf(filter.Value);
                if (root < 0) throw new TerminologyNotFoundException($"Filter {filter.Property} {filter.Op} {filter.Value}: code not in {cs.Url} version {cs.Version.Version}");
                return filter.Op switch
                {
                    "is-a" => id => id == root || cs.IsAncestor(root, id),
                    "descendent-of" => id => cs.IsAncestor(root, id),
                    _ => id => id != root && !cs.IsAncestor(root, id),
                };
            case "=":
                return filter.Property switch
                {
                    "concept" or "code" => id => string.Equals(cs.Concepts[id].Code, filter.Value, StringComparison.OrdinalIgnoreCase),
                    "parent" => id => cs.Concepts[id].ParentCode == filter.Value,
                    "billable" or "notSelectable" or "abstract" => BoolTest(cs, filter),
                    "kind" => id => cs.Concepts[id].Kind == filter.Value,
                    _ => id => cs.Concepts[id].Properties.TryGetValue(filter.Property, out var value) && string.Equals(value, filter.Value, StringComparison.OrdinalIgnoreCase),
                };
            default:
                throw new NotSupportedException($"Value set filter op '{filter.Op}' on property '{filter.Property}' is not supported (supported: is-a, descendent-of, is-not-a, =)");
        }
    }

    static Func<int, bool> BoolTest(CompiledCodeSystem cs, ValueSetFilter filter)
    {
        var wanted = string.Equals(filter.Value, "true", StringComparison.OrdinalIgnoreCase);
        if (filter.Property != "billable") wanted = !wanted; // notSelectable/abstract = true means not billable
        return id => cs.Concepts[id].IsBillable == wanted;
    }
}
