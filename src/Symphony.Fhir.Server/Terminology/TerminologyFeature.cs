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
}

/// <summary>Whether the terminology is ready to answer; the endpoints answer 503 until it is.</summary>
public sealed class TerminologyState
{
    volatile bool ready;
    public bool IsReady => ready;
    public void MarkReady() => ready = true;
}

public static class TerminologyFeature
{
    public static WebApplicationBuilder AddTerminology(this WebApplicationBuilder builder)
    {
        // Options are read when first resolved, so configuration added by hosts and tests after
        // Program.cs ran (WebApplicationFactory) is seen.
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection("Terminology").Get<TerminologyOptions>() ?? new TerminologyOptions());
        builder.Services.AddSingleton<TerminologyService>();
        // Firely's ITerminologyService over the same store, for the validator and other SDK code.
        builder.Services.AddSingleton<FirelyTerminologyService>();
        builder.Services.AddSingleton<TerminologyState>();
        // The terminology tables live in the server's own database (term_* tables).
        builder.Services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var storage = configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
            return storage.Provider.Equals("postgres", StringComparison.OrdinalIgnoreCase)
                ? TerminologyDatabase.Postgres(configuration.GetConnectionString("Postgres")
                    ?? throw new InvalidOperationException("Storage:Provider is postgres but ConnectionStrings:Postgres is not set."))
                : TerminologyDatabase.Sqlite(Path.Combine(sp.GetRequiredService<IHostEnvironment>().ContentRootPath, storage.SqlitePath));
        });
        // A worker process codes with the one release each note needs, loaded by its coder on first use: it neither
        // loads every release nor answers the terminology operations (the api does).
        if (CodingJobs.Roles.RunsApi(builder.Configuration))
        {
            builder.Services.AddHostedService<TerminologyStartup>();
            builder.Services.AddHealthChecks().AddCheck<TerminologyCheck>("terminology", tags: [Health.HealthFeature.ReadyTag]);
        }
        return builder;
    }

    public static WebApplication MapTerminology(this WebApplication app)
    {
        if (CodingJobs.Roles.RunsApi(app.Configuration))
            TerminologyEndpoints.Map(app);
        return app;
    }
}

/// <summary>Readiness: the api answers terminology operations (and validates codes) only once the terminology is loaded.</summary>
public sealed class TerminologyCheck(TerminologyState state, TerminologyService service) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsReady
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"{service.CodeSystems.Count} code system versions loaded")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("loading terminology"));
}

/// <summary>
/// Loads terminology in the background so the server answers /metadata at once: first the versions
/// the database holds, then each shipped release the database lacks (served from memory as soon as it
/// is parsed, then stored).
/// </summary>
public sealed class TerminologyStartup(
    TerminologyService service, TerminologyState state, TerminologyDatabase database, TerminologyOptions options,
    IHostApplicationLifetime lifetime, ILogger<TerminologyStartup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the server finish starting (and answer /metadata) before taking the CPU for parsing.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try { await started.Task; }
            catch (TaskCanceledException) { return; }
        }
        if (!options.LoadAtStartup)
        {
            state.MarkReady();
            return;
        }
        try
        {
            var clock = Stopwatch.StartNew();
            var stored = await database.ListAsync(stoppingToken);
            foreach (var version in stored)
            {
                service.Add(await database.LoadAsync(version.Url, version.Version, stoppingToken));
                logger.LogInformation("Terminology: loaded {Name} {Version} from the database ({Concepts} concepts)", version.Name, version.Version, version.Concepts);
            }
            foreach (var vs in await database.LoadValueSetsAsync(stoppingToken)) service.Add(vs);

            // Shipped releases the database lacks: served from memory as soon as parsed, stored afterwards.
            var toStore = new List<TerminologyBundle>();
            if (options.ImportShipped && ShippedTerminology.FindDirectory() is not null)
            {
                foreach (var read in TerminologySource.Shipped())
                {
                    var bundle = read();
                    var version = bundle.CodeSystems[0];
                    if (stored.Any(s => s.Url == version.Url && s.Version == version.Version)) continue;
                    service.Add(version);
                    toStore.Add(bundle);
                    logger.LogInformation("Terminology: loaded shipped {Name} {Version} ({Concepts} concepts, {Seconds:F1} s so far)",
                        version.Name, version.Version, version.Concepts.Count, clock.Elapsed.TotalSeconds);
                }
            }
            state.MarkReady();
            logger.LogInformation("Terminology: ready in {Seconds:F1} s ({Count} code system versions)", clock.Elapsed.TotalSeconds, service.CodeSystems.Count);
            for (var i = 0; i < toStore.Count; i++)
            {
                await database.ImportAsync(toStore[i], null, stoppingToken);
                logger.LogInformation("Terminology: stored {Source} in the database ({Done} of {Total}, {Seconds:F1} s so far)",
                    toStore[i].Source, i + 1, toStore.Count, clock.Elapsed.TotalSeconds);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Terminology: loading failed; terminology operations stay unavailable");
        }
    }
}
