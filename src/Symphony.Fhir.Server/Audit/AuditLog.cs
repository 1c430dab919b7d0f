using System.Threading.Channels;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Audit;

public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>Read events held in memory before requests wait for the writer (backpressure, never a dropped event).</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Read events stored per transaction at most.</summary>
    public int BatchSize { get; set; } = 200;
}

public sealed class AuditOptionsValidation : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options) =>
        options.QueueCapacity < 1 ? ValidateOptionsResult.Fail("Audit:QueueCapacity must be at least 1.")
        : options.BatchSize is < 1 or > 10_000 ? ValidateOptionsResult.Fail("Audit:BatchSize must be between 1 and 10000.")
        : ValidateOptionsResult.Success;
}

/// <summary>A request's event waiting for its batch: made into an AuditEvent by the writer, off the request's path.</summary>
public sealed record PendingAudit(AuditRequest Request, int StatusCode, DateTimeOffset Recorded);

/// <summary>The in-memory queue of read (and failed request) events between the requests and <see cref="AuditWriter"/>.</summary>
public sealed class AuditQueue(IOptions<AuditOptions> options)
{
    readonly Channel<PendingAudit> _channel = Channel.CreateBounded<PendingAudit>(
        new BoundedChannelOptions(options.Value.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public ChannelReader<PendingAudit> Reader => _channel.Reader;

    public ValueTask EnqueueAsync(PendingAudit pending) =>
        _channel.Writer.TryWrite(pending) ? ValueTask.CompletedTask : _channel.Writer.WriteAsync(pending);
}

/// <summary>Stores queued events in batches, one transaction each; at shutdown it stores what is left before it stops.</summary>
public sealed class AuditWriter(AuditQueue queue, AuditingStore store, IOptions<AuditOptions> options, ILogger<AuditWriter> logger)
    : BackgroundService
{
    protected override async System.Threading.Tasks.Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
                await DrainAsync();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await DrainAsync(); // the flush on shutdown
    }

    async System.Threading.Tasks.Task DrainAsync()
    {
        var batch = new List<ResourceWrite>(options.Value.BatchSize);
        while (true)
        {
            batch.Clear();
            while (batch.Count < options.Value.BatchSize && queue.Reader.TryRead(out var pending))
                batch.Add(ResourceWrite.Create(AuditEvents.ForRequest(pending.Request, pending.StatusCode, pending.Recorded)));
            if (batch.Count == 0)
                return;
            try
            {
                await store.Inner.WriteAsync(batch.ToList());
            }
            catch (Exception e)
            {
                // Only the count and the error type: the events' references are not for the log.
                logger.LogError("{Count} audit events could not be stored ({Error}).", batch.Count, e.GetType().Name);
            }
        }
    }
}
