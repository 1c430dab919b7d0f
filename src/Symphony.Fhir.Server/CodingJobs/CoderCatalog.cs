using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Symphony.Coders;
using Symphony.Coders.Lexicon;
using Symphony.Fhir.Server.Terminology;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;
using Symphony.Terminology.Model;

namespace Symphony.Fhir.Server.CodingJobs;

public sealed class CodingJobOptions
{
    /// <summary>Pin one stored ICD-10-CM release (e.g. "2021") instead of choosing by encounter date; loads one coder instead of several.</summary>
    public string? Icd10CmVersion { get; set; }

    /// <summary>Requests one job claims at a time; a job whose batch is full starts another, so workers share a burst.</summary>
    public int BatchSize { get; set; } = 25;

    /// <summary>Hangfire workers per worker process.</summary>
    public int WorkerCount { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>How long a claimed request stays with its worker; after that (the worker died) another may claim it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a worker looks for requests no job is draining (restart, expired lease).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The code systems stored notes are coded with, each "url" or "url|version" of a CodeSystem the server holds; empty:
    /// ICD-10-CM and ICD-10-PCS. $code without 'system' uses them too.
    /// </summary>
    public List<string> Systems { get; set; } = [];

    /// <summary>A ValueSet the server holds ("url" or "url|version"): stored notes are coded only with its codes; $code without 'valueSet' too.</summary>
    public string? ValueSet { get; set; }

    /// <summary>Report status Z codes (long-term drugs Z79, implants Z95, acquired absence Z90, transplants Z94, machines Z99) where the note supports them; off for sites that do not code them.</summary>
    public bool StatusCodes { get; set; } = true;
}

/// <summary>What a note or a $code request is coded with: the systems (none: ICD-10-CM and ICD-10-PCS) and a ValueSet limiting the codes.</summary>
public sealed record CodingTerminology(IReadOnlyList<string> Systems, string? ValueSet)
{
    public bool IsDefault => Systems.Count == 0 && ValueSet is null;
}

/// <summary>A coder and the releases it codes with (the versions every written code names).</summary>
public sealed record CoderChoice(Coder Coder, CodeSystemVersions Versions);

/// <summary>
/// Coders built from the server's terminology: the compiled versions the terminology operations answer from. A process that
/// serves them (api, both) reuses what its <see cref="TerminologyService"/> holds; a worker loads from the database only the
/// versions its notes need, on first use. A note is coded with the release in force on its encounter date, chosen among the
/// loaded and stored releases (<see cref="TerminologyService.InForce"/>); when the database holds no release of a code system
/// at all (a fresh database before the api stored the shipped releases) the shipped files stand in. When an import raises the
/// terminology generation the choice is made again for new notes; a note being coded keeps the coder it started with.
/// </summary>
public sealed class CoderCatalog(
    Microsoft.Extensions.Options.IOptions<CodingJobOptions> options, TerminologyService service, TerminologyDatabase database, TerminologyGeneration generation,
    ServerOptions server, Review.SiteLexicons siteLexicons)
{
    /// <summary>A release one may code with, and how to get its compiled form.</summary>
    public sealed record Release(string Version, DateOnly? EffectiveFrom, Func<CancellationToken, Task<CodeSystemVersion>> Load);

    sealed record Releases(long Generation, IReadOnlyList<Release> Icd10Cm, IReadOnlyList<Release> Icd10Pcs);

    readonly SemaphoreSlim _gate = new(1, 1);
    Releases? _releases;
    readonly ConcurrentDictionary<(string Url, string Version, string Checksum), Lazy<Task<CodeSystemVersion>>> _stored = new();
    // By ICD-10-CM then ICD-10-PCS version object: a coder lives as long as its versions are in use.
    readonly ConditionalWeakTable<CodeSystemVersion, ConditionalWeakTable<CodeSystemVersion, Lazy<Coder>>> _coders = new();
    // Coders for the systems $code requests name, by "url|version" of each.
    readonly ConcurrentDictionary<string, Lazy<Coder>> _bySystems = new();
    // A worker's terminology service holds only what its notes named: the checksum of each version loaded into it, and the
    // generation whose ValueSets it holds.
    readonly ConcurrentDictionary<(string Url, string Version), string> _held = new();
    long _valueSetsOf = -1;

    /// <summary>Whether status Z codes are reported (<see cref="CodingJobOptions.StatusCodes"/>).</summary>
    public bool StatusCodes => options.Value.StatusCodes;

    /// <summary>The configured terminology (<see cref="CodingJobOptions.Systems"/>, <see cref="CodingJobOptions.ValueSet"/>).</summary>
    public CodingTerminology Configured => new(options.Value.Systems, string.IsNullOrWhiteSpace(options.Value.ValueSet) ? null : options.Value.ValueSet);

    /// <summary>
    /// The coder for what a request names, and the codes of the ValueSet it limits the answer to. A system or ValueSet the
    /// server does not hold throws <see cref="TerminologyNotFoundException"/>.
    /// </summary>
    public async Task<(CoderChoice Choice, AllowedCodes? Allowed)> ForAsync(CodingTerminology terminology, DateOnly serviceDate, CancellationToken ct)
    {
        if (terminology.IsDefault) return (await ForAsync(serviceDate, ct), null);
        var choice = terminology.Systems.Count == 0 ? await ForAsync(serviceDate, ct) : await ForSystemsAsync(terminology.Systems, serviceDate, ct);
        if (terminology.ValueSet is not { } valueSet) return (choice, null);
        var (url, version) = Canonical(valueSet);
        await HoldValueSetAsync(url, ct);
        var allowed = AllowedCodes.Expand(service, url, serviceDate);
        if (version is not null && allowed.Version != version)
            throw new TerminologyNotFoundException($"ValueSet {url} version {version} is not known to this server; it holds version {allowed.Version ?? "(none)"}");
        return (choice, allowed);
    }

    /// <summary>What to do about a system or ValueSet the server does not hold.</summary>
    public static string HowToLoad(TerminologyNotFoundException missing) =>
        $"{missing.Message}. Load it with POST /CodeSystem/$import (a CodeSystem, ValueSet or Bundle of them) or `symphony terminology import`.";

    static (string Url, string? Version) Canonical(string canonical) =>
        canonical.Split('|', 2) is [var url, var version] ? (url, version) : (canonical, null);

    public async Task<CoderChoice> ForAsync(DateOnly serviceDate, CancellationToken ct)
    {
        var releases = await ReleasesAsync(ct);
        var (cm, cmNote) = Choose(releases.Icd10Cm, "ICD-10-CM", serviceDate, options.Value.Icd10CmVersion);
        // PCS by the same rule; its note is left out: one PCS release ships, so it would stand on nearly every Task while
        // most notes have no procedure. The Task names both versions either way.
        var (pcs, _) = Choose(releases.Icd10Pcs, "ICD-10-PCS", serviceDate, null);
        var cmVersion = await cm.Load(ct);
        var pcsVersion = await pcs.Load(ct);
        var byPcs = _coders.GetValue(cmVersion, _ => new());
        Telemetry.CodingTelemetry.CoderLookup(hit: byPcs.TryGetValue(pcsVersion, out var known) && known.IsValueCreated);
        var coder = byPcs.GetValue(pcsVersion, p => new Lazy<Coder>(() => new Coder(cmVersion, p))).Value;
        var lexicon = siteLexicons.Current;
        return new CoderChoice(WithSiteLexicon(coder, lexicon), new CodeSystemVersions(cm.Version, pcs.Version, cmNote) { SiteLexicons = lexicon.Versions });
    }

    // The coder with the site lexicon in force, made once per lexicon version (its phrase index is built then); the terminology index is shared.
    readonly ConditionalWeakTable<Coder, Tuple<Review.CurrentSiteLexicon, Coder>> _withLexicon = new();

    Coder WithSiteLexicon(Coder coder, Review.CurrentSiteLexicon lexicon)
    {
        if (lexicon.Entries.Count == 0) return coder;
        if (_withLexicon.TryGetValue(coder, out var made) && ReferenceEquals(made.Item1, lexicon)) return made.Item2;
        var adapted = coder.WithSiteLexicon(lexicon.Entries);
        _withLexicon.AddOrUpdate(coder, Tuple.Create(lexicon, adapted));
        return adapted;
    }

    /// <summary>
    /// A coder for the code systems a request names, each as "url" or "url|version": ICD-10-CM and ICD-10-PCS without a version by
    /// the release rule of <see cref="ForAsync"/>, any other system in the version named, else the one in force on the date, as the
    /// terminology operations resolve it. A system this process does not hold throws <see cref="TerminologyNotFoundException"/>.
    /// </summary>
    public async Task<CoderChoice> ForSystemsAsync(IReadOnlyList<string> systems, DateOnly serviceDate, CancellationToken ct)
    {
        await generation.CurrentAsync(ct); // where this process serves the terminology, it has loaded what is stored
        CoderChoice? icd = null;
        var chosen = new List<CodeSystemVersion>();
        await HoldAsync(systems.Select(s => Canonical(s).Url).Where(url => url is not (CodeSystems.Icd10Cm or CodeSystems.Icd10Pcs)), ct);
        foreach (var system in systems.Distinct(StringComparer.Ordinal))
        {
            var (url, version) = Canonical(system);
            if (version is null && url is CodeSystems.Icd10Cm or CodeSystems.Icd10Pcs)
            {
                icd ??= await ForAsync(serviceDate, ct);
                chosen.Add((url == CodeSystems.Icd10Cm ? icd.Coder.Icd10Cm : icd.Coder.Icd10Pcs)!);
            }
            else
                chosen.Add(service.Resolve(url, version, serviceDate).Version);
        }
        var key = string.Join(' ', chosen.Select(v => $"{v.Url}|{v.Version}").Order(StringComparer.Ordinal));
        var coder = _bySystems.GetOrAdd(key, _ => new Lazy<Coder>(() => new Coder(chosen))).Value;
        string VersionOf(string url) => chosen.FirstOrDefault(v => v.Url == url)?.Version ?? "";
        var versions = new CodeSystemVersions(VersionOf(CodeSystems.Icd10Cm), VersionOf(CodeSystems.Icd10Pcs), icd?.Versions.Note)
        {
            Others = chosen.Where(v => v.Url is not (CodeSystems.Icd10Cm or CodeSystems.Icd10Pcs)).ToDictionary(v => v.Url, v => v.Version),
        };
        return new CoderChoice(coder, versions);
    }

    /// <summary>
    /// The release for a date among <paramref name="releases"/> (oldest in force first): the pinned one, else the one in force, else the
    /// nearest (the oldest, for a date before all of them); with a note when it is not the release of the date's fiscal year.
    /// </summary>
    public static (Release Release, string? Note) Choose(IReadOnlyList<Release> releases, string name, DateOnly serviceDate, string? pinned)
    {
        if (releases.Count == 0) throw new InvalidOperationException($"No {name} release is stored or shipped: import one (symphony terminology import).");
        if (!string.IsNullOrEmpty(pinned))
            return (releases.FirstOrDefault(r => r.Version == pinned)
                ?? throw new InvalidOperationException($"Coding:Icd10CmVersion pins {name} {pinned}, which is not stored; stored: {string.Join(", ", releases.Select(r => r.Version))}."), null);
        var chosen = TerminologyService.InForce(releases, r => r.EffectiveFrom, serviceDate) ?? releases[0];
        var fiscalYear = EncounterContext.FiscalYear(serviceDate);
        return chosen.EffectiveFrom is { } from && EncounterContext.FiscalYear(from) == fiscalYear
            ? (chosen, null)
            : (chosen, $"coded with {name} {chosen.Version}: no release for FY{fiscalYear} is loaded");
    }

    /// <summary>The releases as of the current terminology generation; listed again when it moves.</summary>
    async Task<Releases> ReleasesAsync(CancellationToken ct)
    {
        var current = await generation.CurrentAsync(ct);
        if (_releases is { } known && known.Generation == current) return known;
        await _gate.WaitAsync(ct);
        try
        {
            if (_releases is { } listed && listed.Generation == current) return listed;
            var stored = await database.ListAsync(ct);
            foreach (var key in _stored.Keys.Where(k => !stored.Any(s => (s.Url, s.Version, s.Checksum) == k))) _stored.TryRemove(key, out _);
            return _releases = new Releases(current, Available(Icd10CmLoader.Url, stored), Available(Icd10PcsLoader.Url, stored));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What the terminology service holds, then what only the database holds; the shipped releases when neither has any.</summary>
    List<Release> Available(string url, IReadOnlyList<StoredVersion> stored)
    {
        var loaded = service.VersionsOf(url);
        var releases = loaded.Select(c => new Release(c.Version.Version, c.Version.EffectiveFrom, _ => Task.FromResult(c.Version)))
            .Concat(stored.Where(s => s.Url == url && !loaded.Any(c => c.Version.Version == s.Version))
                .Select(s => new Release(s.Version, s.EffectiveFrom, ct => FromDatabaseAsync(s, ct))))
            .ToList();
        if (releases.Count == 0)
        {
            // Shared with the api's start-up import in the same process: each shipped release is parsed once.
            releases = TerminologySource.ShippedReleases.Where(r => r.Url == url)
                .Select(r => new Release(r.Version, Icd10CmLoader.FiscalYearStart(r.Version), ct => Task.Run(() => r.Read().CodeSystems[0], ct)))
                .ToList();
        }
        return [.. releases.OrderBy(r => r.EffectiveFrom ?? DateOnly.MinValue).ThenBy(r => r.Version, StringComparer.Ordinal)];
    }

    /// <summary>A stored version, read from its snapshot once per content.</summary>
    async Task<CodeSystemVersion> FromDatabaseAsync(StoredVersion stored, CancellationToken ct)
    {
        var key = (stored.Url, stored.Version, stored.Checksum);
        var load = _stored.GetOrAdd(key, _ => new(async () => (await database.LoadCompiledAsync(stored.Url, stored.Version, CancellationToken.None)).Version));
        try
        {
            return await load.Value.WaitAsync(ct);
        }
        catch (Exception) when (load.Value.IsFaulted)
        {
            _stored.TryRemove(new KeyValuePair<(string, string, string), Lazy<Task<CodeSystemVersion>>>(key, load)); // tried again by the next note
            throw;
        }
    }

    /// <summary>
    /// A worker does not serve the terminology operations, so its terminology service starts empty: the stored versions of the
    /// systems a request names are loaded into it on first use, and again when an import replaced them.
    /// </summary>
    async Task HoldAsync(IEnumerable<string> urls, CancellationToken ct)
    {
        if (server.RunsApi) return; // the api loads everything stored (TerminologyStartup, TerminologyGeneration)
        var wanted = urls.ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0) return;
        await generation.CurrentAsync(ct);
        foreach (var stored in (await database.ListAsync(ct)).Where(s => wanted.Contains(s.Url)))
        {
            if (_held.TryGetValue((stored.Url, stored.Version), out var checksum) && checksum == stored.Checksum) continue;
            await _gate.WaitAsync(ct);
            try
            {
                if (_held.TryGetValue((stored.Url, stored.Version), out checksum) && checksum == stored.Checksum) continue;
                service.Add(await database.LoadCompiledAsync(stored.Url, stored.Version, ct));
                _held[(stored.Url, stored.Version)] = stored.Checksum;
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>On a worker: the stored ValueSets (as of the current generation) and the code systems the one named draws on.</summary>
    async Task HoldValueSetAsync(string url, CancellationToken ct)
    {
        if (server.RunsApi) return;
        var current = await generation.CurrentAsync(ct);
        if (Interlocked.Read(ref _valueSetsOf) != current)
        {
            foreach (var valueSet in await database.LoadValueSetsAsync(ct)) service.Add(valueSet);
            Interlocked.Exchange(ref _valueSetsOf, current);
        }
        var systems = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Collect(string valueSetUrl)
        {
            if (!seen.Add(valueSetUrl) || service.ValueSets.FirstOrDefault(v => v.Url == valueSetUrl) is not { } definition) return;
            foreach (var rule in definition.Include.Concat(definition.Exclude))
            {
                if (rule.System is { } system) systems.Add(system);
                foreach (var nested in rule.ValueSets) Collect(nested);
            }
        }
        Collect(url);
        if (url.IndexOf(TerminologyService.ImplicitValueSetSuffix, StringComparison.Ordinal) is > 0 and var marker) systems.Add(url[..marker]);
        await HoldAsync(systems, ct);
    }
}
