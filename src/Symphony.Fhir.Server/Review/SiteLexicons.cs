using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Symphony.Coders;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Intake;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Review;

/// <summary>Section "SiteLexicon": how often a process looks for a newer lexicon or decisions, and how the lexicon is built.</summary>
public sealed class SiteLexiconOptions
{
    public const string Section = "SiteLexicon";

    /// <summary>How often every process reads the newest version numbers (and a worker whether decisions came since the last build).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A worker rebuilds once no decision came for this long, so a burst of reviews makes one build.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Leave out site phrases that carried their code in fewer than this share of the reviewed notes where they occur.</summary>
    public double MinWeight { get; set; } = SiteLexiconBuilder.DefaultMinWeight;

    /// <summary>
    /// Whether workers rebuild the site lexicon from review decisions. Off, the lexicon stays as it is (an admin's POST still
    /// replaces it) while decisions are still stored: a site validating the coder before it learns, or tests of reviews alone.
    /// </summary>
    public bool Learn { get; set; } = true;

    /// <summary>Why these options cannot be used, or null. New lexicons must reach every process within a minute.</summary>
    public string? Problem() =>
        PollInterval <= TimeSpan.Zero || PollInterval > TimeSpan.FromSeconds(30) ? $"{Section}:PollInterval must be between 0 and 30 seconds (it is {PollInterval})."
        : Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromSeconds(20) ? $"{Section}:Debounce must be between 0 and 20 seconds (it is {Debounce})."
        : MinWeight is < 0 or > 1 ? $"{Section}:MinWeight must be between 0 and 1 (it is {MinWeight})."
        : null;
}

public sealed class SiteLexiconOptionsValidation : IValidateOptions<SiteLexiconOptions>
{
    public ValidateOptionsResult Validate(string? name, SiteLexiconOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}

/// <summary>The site lexicon this process codes with: the newest stored version of each language, and their entries.</summary>
public sealed record CurrentSiteLexicon(IReadOnlyDictionary<Language, int> Versions, IReadOnlyList<SiteLexiconEntry> Entries)
{
    public static CurrentSiteLexicon None { get; } = new(new Dictionary<Language, int>(), []);

    /// <summary>How a Task and a Provenance name the version a note was coded with: the export URL of that version.</summary>
    public static string Reference(Language language, int version) => $"$site-lexicon?language={language.ToCode()}&version={version}";
}

/// <summary>
/// Keeps this process on the newest site lexicon: <see cref="RefreshAsync"/> reads the version numbers (one small query) and
/// loads the entries of a language whose version moved. The coder catalog puts <see cref="Current"/> into every coder it
/// hands out, so a job started after a refresh codes with the new version.
/// </summary>
public sealed class SiteLexicons(IResourceStore store, ILogger<SiteLexicons> logger)
{
    readonly SemaphoreSlim _gate = new(1, 1);
    CurrentSiteLexicon _current = CurrentSiteLexicon.None;

    public CurrentSiteLexicon Current => Volatile.Read(ref _current);

    public async Task<CurrentSiteLexicon> RefreshAsync(CancellationToken ct)
    {
        IReadOnlyDictionary<Language, int> newest = new Dictionary<Language, int>();
        await store.ReadSqlAsync(async (tx, c) => newest = await SiteLexiconRows.NewestAsync(tx, c), ct);
        if (Same(newest, Current.Versions)) return Current;
        await _gate.WaitAsync(ct);
        try
        {
            if (Same(newest, Current.Versions)) return Current;
            var versions = new Dictionary<Language, int>();
            var entries = new List<SiteLexiconEntry>();
            await store.ReadSqlAsync(async (tx, c) =>
            {
                foreach (var language in newest.Keys)
                    if (await SiteLexiconRows.LoadAsync(tx, language, newest[language], c) is { } loaded)
                    {
                        versions[language] = loaded.Version.Version;
                        entries.AddRange(loaded.Entries);
                    }
            }, ct);
            var current = new CurrentSiteLexicon(versions, entries);
            Volatile.Write(ref _current, current);
            logger.LogInformation("Site lexicon: coding with {Versions}", string.Join(", ", versions.Select(v => $"{v.Key.ToCode()} version {v.Value}")));
            return current;
        }
        finally
        {
            _gate.Release();
        }
    }

    static bool Same(IReadOnlyDictionary<Language, int> a, IReadOnlyDictionary<Language, int> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}

/// <summary>
/// Builds the site lexicon of each language from the stored decisions, with the builder the evaluation uses
/// (<see cref="SiteLexiconBuilder"/>). A note counts in the version of it last decided on (decisions carried to a new version
/// count there; needs-review marks do not count), in the language it was coded in,
/// with the text the server decoded; it counts as reviewed: its accepted and added codes are the positive evidence, each
/// decision's spans one phrase (their words in order), and a phrase that occurs in it without its code counts against that
/// code — so a rejected code's words weigh against it. Only what the last review of a code decided counts.
/// </summary>
public static class SiteLexiconBuild
{
    static readonly FhirJsonDeserializer Json = new();

    public sealed record Built(Language Language, List<SiteLexiconEntry> Entries, int Decisions, int Notes);

    public static async Task<IReadOnlyList<Built>> FromDecisionsAsync(IResourceStore store, IReadOnlyList<CodingDecision> decisions, Coder coder,
        Language defaultLanguage, double minWeight, CancellationToken ct)
    {
        var byLanguage = new Dictionary<Language, (List<AcceptedAnnotation> Accepted, Dictionary<string, string> Texts, int Decisions)>();
        // A needs-review mark is no one's decision: it neither counts for or against its code, nor makes its version the one decided on.
        foreach (var note in decisions.Where(d => d.Action != ReviewAction.NeedsReview).GroupBy(d => d.DocumentId))
        {
            var version = note.Max(d => d.NoteVersion);
            var onVersion = note.Where(d => d.NoteVersion == version).ToList();
            var stored = await store.ReadVersionAsync("DocumentReference", note.Key, version, ct);
            if (stored?.Json is null) continue;
            var document = Json.Deserialize<DocumentReference>(stored.Json);
            var text = await NoteTextReader.ReadAsync(document, async (id, c) =>
                await store.ReadAsync("Binary", id, c) is { IsDeleted: false, Json: { } json } ? Json.Deserialize<Binary>(json) : null, ct);
            if (text.Text is null) continue;
            Language language;
            try { language = NoteLanguage.Of(document, defaultLanguage); }
            catch (CodingFailure) { continue; } // a language the coder does not read was never coded
            var key = $"DocumentReference/{note.Key}/_history/{version}";
            if (!byLanguage.TryGetValue(language, out var site)) byLanguage[language] = site = ([], new(StringComparer.Ordinal), 0);
            site.Texts[key] = text.Text;
            foreach (var code in onVersion.GroupBy(d => (d.System, d.Code)))
            {
                var last = code.Last();
                if (last.Action == ReviewAction.Reject) continue;
                foreach (var decision in code.Where(d => d.DecidedAt == last.DecidedAt && d.Action != ReviewAction.Reject && d.Spans.Count > 0))
                    site.Accepted.Add(new AcceptedAnnotation(key, string.Join(' ', decision.Spans.Select(s => s.Text.Trim())), decision.System, decision.Code));
            }
            byLanguage[language] = site with { Decisions = site.Decisions + onVersion.Count };
        }
        return byLanguage.Select(kv => new Built(kv.Key,
                SiteLexiconBuilder.Build(kv.Value.Accepted, kv.Value.Texts, kv.Key, minWeight, coder.GenericTerms(kv.Key), coder.NamesSide),
                kv.Value.Decisions, kv.Value.Texts.Count))
            .ToList();
    }
}

/// <summary>
/// In every process: every <see cref="SiteLexiconOptions.PollInterval"/> moves this process to the newest stored lexicon. In
/// processes that code (worker, both), also rebuilds it when decisions were stored since the last build and none came for
/// <see cref="SiteLexiconOptions.Debounce"/>: whichever worker notices first builds; the build mark in the database lets only
/// one of two concurrent builds store its versions (the other rolls back and finds the lexicon current).
/// </summary>
public sealed class SiteLexiconRefresher(SiteLexicons lexicons, IResourceStore store, CoderCatalog coders, ServerOptions server,
    IOptions<SiteLexiconOptions> options, IOptions<CodingLanguageOptions> languages, ILogger<SiteLexiconRefresher> logger) : BackgroundService
{
    (int Count, long DecidedThrough)? _seen;
    DateTime _seenAt;

    protected override async System.Threading.Tasks.Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await lexicons.RefreshAsync(stoppingToken);
                if (server.RunsWorker && options.Value.Learn) await RebuildWhenSettledAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { logger.LogWarning("Site lexicon: could not refresh ({Error}); trying again", e.Message); }
            try { await System.Threading.Tasks.Task.Delay(options.Value.PollInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    async System.Threading.Tasks.Task RebuildWhenSettledAsync(CancellationToken ct)
    {
        (int Count, long DecidedThrough) stamp = default, built = default;
        await store.ReadSqlAsync(async (tx, c) =>
        {
            stamp = await CodingDecisions.StampAsync(tx, c);
            built = await SiteLexiconRows.BuiltAsync(tx, c);
        }, ct);
        if (stamp == built) { _seen = null; return; }
        if (_seen != stamp) { _seen = stamp; _seenAt = DateTime.UtcNow; }
        if (DateTime.UtcNow - _seenAt < options.Value.Debounce) return;
        await RebuildAsync(built, ct);
    }

    /// <summary>Builds every language's lexicon from all stored decisions and stores the ones that changed as new versions.</summary>
    public async System.Threading.Tasks.Task RebuildAsync((int Count, long DecidedThrough) built, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyList<CodingDecision> decisions = [];
        (int Count, long DecidedThrough) stamp = default;
        await store.ReadSqlAsync(async (tx, c) =>
        {
            decisions = await CodingDecisions.AllAsync(tx, c);
            stamp = (decisions.Count, decisions.Count == 0 ? 0 : decisions.Max(d => d.DecidedAt.ToUnixTimeMilliseconds()));
        }, ct);
        // The terminology's words are measured on the site's notes in the release the newest reviewed note was coded with.
        var (coder, _) = await coders.ForAsync(decisions.Count == 0 ? DateOnly.FromDateTime(DateTime.UtcNow) : await ServiceDateAsync(decisions[^1].DocumentId, ct), ct);
        var languagesBuilt = await SiteLexiconBuild.FromDecisionsAsync(store, decisions, coder, languages.Value.Default, options.Value.MinWeight, ct);
        var stored = new List<string>();
        try
        {
            await store.WriteAsync([], async (tx, c) =>
            {
                if (!await SiteLexiconRows.MarkBuiltAsync(tx, built, stamp, c)) throw new SiteLexiconBuildRaced();
                foreach (var language in languagesBuilt)
                {
                    var current = await SiteLexiconRows.LoadAsync(tx, language.Language, null, c);
                    if (current is { } same && same.Version.Origin == SiteLexiconVersion.FromDecisions && same.Entries.SequenceEqual(language.Entries)) continue;
                    var version = await SiteLexiconRows.AddAsync(tx, language.Language, language.Entries, SiteLexiconVersion.FromDecisions, language.Decisions, "decisions", c);
                    stored.Add($"{language.Language.ToCode()} version {version} ({language.Entries.Count} phrases from {language.Notes} notes)");
                }
            }, ct);
        }
        catch (SiteLexiconBuildRaced)
        {
            logger.LogInformation("Site lexicon: another process built from these decisions first");
            return;
        }
        _seen = null;
        logger.LogInformation("Site lexicon: built from {Decisions} decisions in {Elapsed} ms: {Stored}", stamp.Count, started.ElapsedMilliseconds,
            stored.Count == 0 ? "unchanged" : string.Join(", ", stored));
        await lexicons.RefreshAsync(ct);
    }

    async Task<DateOnly> ServiceDateAsync(string documentId, CancellationToken ct)
    {
        var json = new FhirJsonDeserializer();
        if (await store.ReadAsync("DocumentReference", documentId, ct) is not { Json: { } documentJson }) return DateOnly.FromDateTime(DateTime.UtcNow);
        var document = json.Deserialize<DocumentReference>(documentJson);
        var encounterId = document.Context?.Encounter.FirstOrDefault()?.Reference is { } reference && SearchParameters.ParseReference(reference) is ("Encounter", var id) ? id : null;
        var encounter = encounterId is not null && await store.ReadAsync("Encounter", encounterId, ct) is { IsDeleted: false, Json: { } encounterJson }
            ? json.Deserialize<Encounter>(encounterJson) : null;
        return encounter is null ? DateOnly.FromDateTime(DateTime.UtcNow) : EncounterContext.ServiceDate(encounter, document);
    }

    sealed class SiteLexiconBuildRaced : Exception;
}
