using System.Collections.Concurrent;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;

namespace Symphony.Fhir.Server.Terminology;

/// <summary>
/// Keeps this process in step with the stored terminology: every <see cref="TerminologyOptions.RefreshInterval"/> it reads
/// the database's terminology generation (raised by every import that changes something). When it changed, a process that
/// serves the terminology operations first loads the stored versions it does not hold; only then is the new generation
/// published, so the coder catalog, which chooses again when the generation moves, finds them already loaded.
/// </summary>
public sealed class TerminologyGeneration(
    TerminologyDatabase database, TerminologyService service, TerminologyOptions options, ILogger<TerminologyGeneration> logger,
    TerminologyStartup? startup = null) : BackgroundService
{
    readonly SemaphoreSlim gate = new(1, 1);
    // The checksum of the stored content of each version the service holds.
    readonly ConcurrentDictionary<(string Url, string Version), string> served = new();
    long seen = -1;

    /// <summary>The generation this process has caught up with; read from the database on first use.</summary>
    public async ValueTask<long> CurrentAsync(CancellationToken ct) =>
        Interlocked.Read(ref seen) is var known and >= 0 ? known : await RefreshAsync(ct);

    /// <summary>Reads the stored generation and, when it moved, catches up with it before publishing it.</summary>
    public async Task<long> RefreshAsync(CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            var generation = await database.GenerationAsync(ct);
            var before = Interlocked.Read(ref seen);
            if (generation == before) return generation;
            if (startup is not null && options.LoadAtStartup)
            {
                await startup.Loaded.WaitAsync(ct);
                await LoadNewVersionsAsync(ct);
            }
            Interlocked.Exchange(ref seen, generation);
            if (before >= 0) logger.LogInformation("Terminology: generation {Generation}: an import changed the stored terminology; new coding jobs choose their release again", generation);
            return generation;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Stored versions the service does not hold, or holds with other content: loaded from their snapshots.</summary>
    async Task LoadNewVersionsAsync(CancellationToken ct)
    {
        foreach (var stored in await database.ListAsync(ct))
        {
            var key = (stored.Url, stored.Version);
            if (served.TryGetValue(key, out var checksum) && checksum == stored.Checksum) continue;
            var held = service.VersionsOf(stored.Url).Any(v => v.Version.Version == stored.Version);
            // Held but not yet seen here: loaded at start, or imported through this process — the stored content itself.
            if (!held || checksum is not null)
            {
                service.Add(await database.LoadCompiledAsync(stored.Url, stored.Version, ct));
                logger.LogInformation("Terminology: loaded {Name} {Version}, stored by an import while running", stored.Name, stored.Version);
            }
            served[key] = stored.Checksum;
        }
        foreach (var valueSet in await database.LoadValueSetsAsync(ct)) service.Add(valueSet);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await RefreshAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { logger.LogWarning("Terminology: could not check the stored generation ({Error}); trying again", e.Message); }
            try { await Task.Delay(options.RefreshInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
