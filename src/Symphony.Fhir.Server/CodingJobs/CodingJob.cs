using Hangfire;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>
/// The Hangfire job: drains pending coding requests in batches (no arguments: the requests are rows, so
/// Hangfire's per-job cost is paid per batch, not per note). A job whose batch was full starts another
/// before coding it, so every free worker, in every worker process, joins a burst.
/// </summary>
public sealed class CodingJob(CodingRequests requests, CodingPipeline pipeline, CodingSignal signal, Microsoft.Extensions.Options.IOptions<CodingJobOptions> options,
    Terminology.TerminologyGeneration terminology, Review.SiteLexicons siteLexicons, ILogger<CodingJob> logger)
{
    [AutomaticRetry(Attempts = 0)] // a failed drain leaves its requests to the lease and the sweeper
    [Queue(CodingJobServer.Queue)]
    public async System.Threading.Tasks.Task DrainAsync(CancellationToken ct)
    {
        using var _ = signal.DrainStarted();
        while (!ct.IsCancellationRequested)
        {
            var batch = await requests.ClaimAsync(options.Value.BatchSize, ct);
            signal.MarkProgress();
            if (batch.Count == 0) return;
            logger.LogInformation("Claimed {Count} coding requests", batch.Count);
            if (batch.Count == options.Value.BatchSize) signal.RequestDrain(force: true);
            await CatchUpWithTerminologyAsync(ct);
            foreach (var request in batch)
            {
                await pipeline.ProcessAsync(request, ct);
                signal.MarkProgress();
            }
        }
    }

    /// <summary>
    /// Every note accepted after an import committed is coded with what it imported: the claim came after the note, so
    /// the generation read now is at least the one the import raised. One small query per batch, besides the periodic check.
    /// </summary>
    async System.Threading.Tasks.Task CatchUpWithTerminologyAsync(CancellationToken ct)
    {
        try { await terminology.RefreshAsync(ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Could not check the terminology generation ({Error}); coding with the terminology already known", e.Message);
        }
        // Likewise the site lexicon: a note claimed after a new version was stored is coded with it.
        try { await siteLexicons.RefreshAsync(ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Could not check the site lexicon version ({Error}); coding with the one already loaded", e.Message);
        }
    }
}

/// <summary>
/// Wakes the coding jobs: enqueues a drain when requests arrive, at most one per short interval per process.
/// Called after the write has committed, so it never throws: the request is already recorded, and a failed
/// wake-up only delays it until the next drain or sweep.
/// </summary>
public sealed class CodingSignal(IBackgroundJobClient jobs, ILogger<CodingSignal> logger)
{
    // A running drain takes every request that arrives while it runs, so a burst of notes needs few wake-ups:
    // each one costs a Hangfire job (a database write here, a fetch and a claim in a worker).
    static readonly long ThrottleTicks = TimeSpan.FromMilliseconds(250).Ticks;
    long _lastEnqueued;
    long _lastProgress = DateTime.UtcNow.Ticks;
    int _activeDrains;

    public int ActiveDrains => Volatile.Read(ref _activeDrains);

    /// <summary>Time since a drain in this process last started, claimed or finished a request.</summary>
    public TimeSpan SinceProgress => TimeSpan.FromTicks(DateTime.UtcNow.Ticks - Interlocked.Read(ref _lastProgress));

    public void MarkProgress() => Interlocked.Exchange(ref _lastProgress, DateTime.UtcNow.Ticks);

    public void RequestDrain(bool force = false)
    {
        var now = DateTime.UtcNow.Ticks;
        var last = Interlocked.Read(ref _lastEnqueued);
        if (!force && (now - last < ThrottleTicks || Interlocked.CompareExchange(ref _lastEnqueued, now, last) != last)) return;
        Interlocked.Exchange(ref _lastEnqueued, now);
        try
        {
            jobs.Enqueue<CodingJob>(job => job.DrainAsync(CancellationToken.None));
        }
        catch (Exception e)
        {
            Interlocked.Exchange(ref _lastEnqueued, 0); // let the next write try again at once
            logger.LogWarning("Could not enqueue a coding drain; the sweeper will pick the requests up: {Error}", e.Message);
        }
    }

    public IDisposable DrainStarted()
    {
        Interlocked.Increment(ref _activeDrains);
        MarkProgress();
        return new Finished(this);
    }

    sealed class Finished(CodingSignal signal) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref signal._activeDrains);
    }
}

/// <summary>
/// In worker processes: at start and then every SweepInterval, starts a drain when requests are claimable
/// and none is running here — pending requests after a restart (the embedded queue is in memory),
/// requests whose worker died (expired lease), requests recorded while the database was away. When requests
/// wait and no drain in this process makes progress for <see cref="StallAfter"/> (a drain Hangfire has not started,
/// or one stuck on a connection lost in a database outage), the sweeper drains them itself: coding never depends
/// on Hangfire's own recovery alone.
/// </summary>
public sealed class CodingSweeper(CodingRequests requests, CodingSignal signal, CodingPipeline pipeline, CodingJob job,
    [FromKeyedServices(CodingSweeper.CoderPart)] Health.Readiness coderReadiness,
    Microsoft.Extensions.Options.IOptions<CodingJobOptions> options, ILogger<CodingSweeper> logger) : BackgroundService
{
    public const string CoderPart = "coder";

    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(5);

    protected override async System.Threading.Tasks.Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await System.Threading.Tasks.Task.Yield();
        // Load the coder and warm the write-back path up before the first note rather than on it — beside the sweeps,
        // never in front of them: a slow warm-up must not hold back requests left from before a restart.
        _ = System.Threading.Tasks.Task.Run(() =>
        {
            try
            {
                var started = System.Diagnostics.Stopwatch.StartNew();
                pipeline.WarmUp();
                coderReadiness.Ready($"loaded and warm in {started.ElapsedMilliseconds} ms");
                logger.LogInformation("Coder ready in {Elapsed} ms", started.ElapsedMilliseconds);
            }
            catch (Exception e)
            {
                coderReadiness.NotReady($"could not load the coder ({e.GetType().Name})");
                logger.LogError(e, "Could not load the coder");
            }
        }, stoppingToken);
        DateTime? waitingSince = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimable = await requests.CountClaimableAsync(stoppingToken);
                if (claimable == 0)
                    waitingSince = null;
                else if (DateTime.UtcNow - (waitingSince ??= DateTime.UtcNow) > StallAfter && signal.SinceProgress > StallAfter)
                {
                    logger.LogWarning("{Count} coding requests waited {Seconds:F0} s with no drain making progress here ({Active} running); the sweeper drains them",
                        claimable, (DateTime.UtcNow - waitingSince.Value).TotalSeconds, signal.ActiveDrains);
                    await job.DrainAsync(stoppingToken);
                    waitingSince = null;
                }
                else if (signal.ActiveDrains == 0)
                    signal.RequestDrain(force: true);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Coding sweep failed: {Error}", e.Message);
            }
            try { await System.Threading.Tasks.Task.Delay(options.Value.SweepInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
