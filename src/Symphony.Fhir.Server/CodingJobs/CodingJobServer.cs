using Hangfire;
using Hangfire.Common;
using Hangfire.Server;
using Hangfire.States;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>
/// The worker's Hangfire server, built from its parts instead of with AddHangfireServer: BackgroundJobServerOptions does
/// not expose the delay between failed attempts of a background process, and the default (attempt² seconds, up to
/// five minutes) kept workers from fetching jobs for minutes after the database came back from an outage.
/// </summary>
public sealed class CodingJobServer(JobStorage storage, JobActivator activator, Microsoft.Extensions.Options.IOptions<CodingJobOptions> options,
    ILogger<CodingJobServer> logger) : IHostedService
{
    /// <summary>Longest pause between two failed attempts of a worker, the heartbeat or the server itself.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    public const string Queue = "coding";

    IBackgroundProcessingServer? _server;

    public System.Threading.Tasks.Task StartAsync(CancellationToken cancellationToken)
    {
        var filters = JobFilterProviders.Providers;
        var worker = new Worker([Queue], new BackgroundJobPerformer(filters, activator, TaskScheduler.Default), new BackgroundJobStateChanger(filters));
        var workerCount = options.Value.WorkerCount;
        _server = new BackgroundProcessingServer(storage, [worker.UseBackgroundPool(workerCount)],
            new Dictionary<string, object> { ["Queues"] = new[] { Queue }, ["WorkerCount"] = workerCount },
            new BackgroundProcessingServerOptions
            {
                RetryDelay = RetryDelay,
                RestartDelay = MaxRetryDelay,
                ServerCheckInterval = TimeSpan.FromSeconds(30),
            });
        logger.LogInformation("Coding job server started with {Workers} workers", workerCount);
        return System.Threading.Tasks.Task.CompletedTask;
    }

    public async System.Threading.Tasks.Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is null) return;
        _server.SendStop();
        await _server.WaitForShutdownAsync(cancellationToken);
        _server.Dispose();
    }

    /// <summary>Half a second after the first failure, growing to <see cref="MaxRetryDelay"/>: a database back within seconds is used within seconds.</summary>
    public static TimeSpan RetryDelay(int attempt) => TimeSpan.FromMilliseconds(Math.Min(500.0 * Math.Max(attempt, 1), MaxRetryDelay.TotalMilliseconds));
}
