using Symphony.Fhir.Server.Health;
using System.Diagnostics;
using Symphony.Fhir.Server.Storage;
using Symphony.Terminology;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;

namespace Symphony.Fhir.Server.Terminology;

public sealed class TerminologyOptions
{
    /// <summary>Load what the database holds and import the shipped releases (terminology/) at start.</summary>
    public bool LoadAtStartup { get; set; } = true;

    /// <summary>Import the shipped releases that the database does not hold yet.</summary>
    public bool ImportShipped { get; set; } = true;

    /// <summary>How often each process checks whether an import changed the stored terminology (see <see cref="TerminologyGeneration"/>).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    public TerminologyOptions Validated() => RefreshInterval > TimeSpan.Zero
        ? this
        : throw new InvalidOperationException($"Terminology:RefreshInterval must be positive; it is {RefreshInterval}.");
}

public static class TerminologyFeature
{
    public static WebApplicationBuilder AddTerminology(this WebApplicationBuilder builder)
    {
        // Options are read when first resolved, so configuration added by hosts and tests after
        // Program.cs ran (WebApplicationFactory) is seen.
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection("Terminology").Get<TerminologyOptions>()?.Validated() ?? new TerminologyOptions());
        builder.Services.AddSingleton<TerminologyService>();
        // Firely's ITerminologyService over the same store, for the validator and other SDK code.
        builder.Services.AddSingleton<FirelyTerminologyService>();
        // The terminology tables live in the server's own database (term_* tables).
        builder.Services.AddSingleton(sp =>
        {
            var server = sp.GetRequiredService<ServerOptions>();
            return server.Provider == StorageProvider.Postgres
                ? TerminologyDatabase.Postgres(server.PostgresConnectionString!)
                : TerminologyDatabase.Sqlite(server.SqlitePath);
        });
        // Every role follows imports made while it runs: the api serves them, the coder catalog codes with them.
        builder.Services.AddSingleton<TerminologyGeneration>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TerminologyGeneration>());
        // A worker process codes with the releases its notes need, each loaded from the database on first use (see
        // CoderCatalog): it neither loads every release nor answers the terminology operations (the api does).
        if (builder.ServerOptions().RunsApi)
        {
            builder.Services.AddSingleton<TerminologyStartup>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<TerminologyStartup>());
            // Ready means every code system version the database holds at start, and every shipped release it lacked, is
            // served; the terminology operations answer 503 until then.
            builder.Services.AddReadiness(TerminologyStartup.Part, "not started");
        }
        return builder;
    }

    public static WebApplication MapTerminology(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ServerOptions>().RunsApi)
            TerminologyEndpoints.Map(app);
        return app;
    }
}

/// <summary>
/// Loads terminology in the background so the server answers /metadata at once: first the versions
/// the database holds (each from its snapshot, or from its rows when it has none yet), then each
/// shipped release the database lacks (served from memory as soon as it is parsed). Once ready, it
/// writes the snapshots that were missing and stores the shipped releases it parsed.
/// </summary>
public sealed class TerminologyStartup(
    TerminologyService service, [FromKeyedServices(TerminologyStartup.Part)] Readiness state, TerminologyDatabase database, TerminologyOptions options,
    IHostApplicationLifetime lifetime, ILogger<TerminologyStartup> logger)
    : BackgroundService
{
    public const string Part = "terminology";

    readonly TaskCompletionSource loadedAtStart = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Done once loading at start has ended (ready, turned off, failed or stopped): from then on the service holds what this process serves.</summary>
    public Task Loaded => loadedAtStart.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await LoadAsync(stoppingToken);
        }
        finally
        {
            loadedAtStart.TrySetResult();
        }
    }

    async Task LoadAsync(CancellationToken stoppingToken)
    {
        // Let the server finish starting (and answer /metadata) before taking the CPU for loading.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try { await started.Task; }
            catch (TaskCanceledException) { return; }
        }
        if (!options.LoadAtStartup)
        {
            state.Ready("ready: terminology loading is turned off (Terminology:LoadAtStartup=false)");
            return;
        }
        try
        {
            var clock = Stopwatch.StartNew();
            state.NotReady("loading the code system versions stored in the database");
            var loaded = await database.LoadAllAsync(version =>
            {
                service.Add(version.Compiled);
                state.NotReady($"loading; loaded so far: {Describe(service)}");
                logger.LogInformation("Terminology: loaded {Name} {Version} from the database ({Concepts} concepts, from its {Source}, {Seconds:F1} s)",
                    version.Stored.Name, version.Stored.Version, version.Stored.Concepts, version.FromSnapshot ? "snapshot" : "rows", version.Elapsed.TotalSeconds);
            }, stoppingToken);
            foreach (var vs in await database.LoadValueSetsAsync(stoppingToken)) service.Add(vs);

            // Shipped releases the database lacks: served from memory as soon as parsed, stored afterwards.
            var toStore = new List<TerminologyBundle>();
            if (options.ImportShipped && ShippedTerminology.FindDirectory() is not null)
            {
                foreach (var release in TerminologySource.ShippedReleases)
                {
                    if (loaded.Any(l => l.Stored.Url == release.Url && l.Stored.Version == release.Version)) continue;
                    var bundle = release.Read();
                    var version = bundle.CodeSystems[0];
                    service.Add(version);
                    toStore.Add(bundle);
                    state.NotReady($"loading; loaded so far: {Describe(service)}");
                    logger.LogInformation("Terminology: loaded shipped {Name} {Version} ({Concepts} concepts, {Seconds:F1} s so far)",
                        version.Name, version.Version, version.Concepts.Count, clock.Elapsed.TotalSeconds);
                }
            }
            state.Ready($"ready: {Describe(service)}");
            loadedAtStart.TrySetResult(); // storing what was parsed can take a while; it changes nothing this process serves
            logger.LogInformation("Terminology: ready in {Seconds:F1} s ({Count} code system versions)", clock.Elapsed.TotalSeconds, service.CodeSystems.Count);
            await StoreAsync(loaded, toStore, clock, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            state.NotReady($"loading failed: {e.Message}");
            logger.LogError(e, "Terminology: loading failed; terminology operations stay unavailable");
        }
    }

    /// <summary>After ready: the snapshots that were missing, then the shipped releases parsed at this start.</summary>
    async Task StoreAsync(IReadOnlyList<LoadedVersion> loaded, List<TerminologyBundle> toStore, Stopwatch clock, CancellationToken stoppingToken)
    {
        try
        {
            // Versions stored before snapshots existed (or in an older format): the next start reads them fast.
            foreach (var version in loaded.Where(l => !l.FromSnapshot))
            {
                if (await database.SaveSnapshotAsync(version.Compiled, version.Stored.Checksum, stoppingToken))
                    logger.LogInformation("Terminology: stored the snapshot of {Name} {Version}", version.Stored.Name, version.Stored.Version);
            }
            if (toStore.Count > 0)
            {
                // One transaction: a worker on this database codes with the shipped files until they are all stored,
                // then with the stored releases — never with part of them.
                var shipped = new TerminologyBundle(string.Join(", ", toStore.Select(b => b.Source)), [.. toStore.SelectMany(b => b.CodeSystems)], [.. toStore.SelectMany(b => b.ValueSets)]);
                await database.ImportAsync(shipped, null, stoppingToken);
                logger.LogInformation("Terminology: stored {Source} in the database ({Seconds:F1} s so far)", shipped.Source, clock.Elapsed.TotalSeconds);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Still served from memory; only the next start is slower (or parses the release again).
            logger.LogError(e, "Terminology: storing in the database failed");
        }
    }

    /// <summary>"ICD-10-CM 2021, 2022, 2024; ICD-10-PCS 2026".</summary>
    static string Describe(TerminologyService service) =>
        string.Join("; ", service.CodeSystems.GroupBy(v => v.Name).Select(g => $"{g.Key} {string.Join(", ", g.Select(v => v.Version))}"));
}
