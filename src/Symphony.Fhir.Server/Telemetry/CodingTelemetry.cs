using System.Diagnostics;
using System.Diagnostics.Metrics;
using Symphony.Fhir.Server.CodingJobs;

namespace Symphony.Fhir.Server.Telemetry;

/// <summary>
/// The coding path's spans and measurements: a span per coding job, parented to the request that stored the note (its W3C
/// traceparent is kept on the coding request row), with a child span per stage; counters of notes accepted, coded and
/// failed; job, stage and claim durations; the queue's depth and age as the sweeper last saw them. Nothing here carries a
/// note's text: spans and measurements name requests and resources by id only.
/// </summary>
public static class CodingTelemetry
{
    /// <summary>The ActivitySource and Meter name.</summary>
    public const string Name = "Symphony.Fhir.Coding";

    public static class Stages
    {
        public const string Claim = "claim";
        public const string Decode = "decode";
        public const string Code = "code";
        public const string WriteBack = "write-back";
    }

    public static class Outcomes
    {
        public const string Coded = "coded";
        public const string Waiting = "waiting";
        public const string Failed = "failed";
        public const string Retry = "retry";
        public const string Stale = "stale";
    }

    static readonly ActivitySource Source = new(Name);
    static readonly Meter Meter = new(Name);

    // Seconds from a millisecond-long stage to a minute-long agent conversation.
    static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    };

    static readonly Counter<long> Accepted = Meter.CreateCounter<long>("symphony.notes.accepted", "{note}",
        "DocumentReferences stored (created or updated) with their coding request");
    static readonly Counter<long> Coded = Meter.CreateCounter<long>("symphony.notes.coded", "{note}", "Notes coded and written back");
    static readonly Counter<long> Failed = Meter.CreateCounter<long>("symphony.notes.failed", "{note}", "Notes whose coding failed for good (their Task says why)");
    static readonly Histogram<double> JobDuration = Meter.CreateHistogram("symphony.coding.job.duration", "s",
        "One coding request's processing, from its claim to its commit, by outcome", advice: SecondsBuckets);
    static readonly Histogram<double> StageDuration = Meter.CreateHistogram("symphony.coding.stage.duration", "s",
        "Time in each stage of coding a note: claim (per batch), decode, code (the coder), write-back", advice: SecondsBuckets);
    static readonly Counter<long> CoderLookups = Meter.CreateCounter<long>("symphony.coding.coder.lookups", "{lookup}",
        "Coders asked for by notes; cache.hit=false when one was built for the note's code system versions");

    static QueueSnapshot? _queue;

    static CodingTelemetry()
    {
        Meter.CreateObservableGauge<long>("symphony.coding.queue.depth", () => _queue is { } q ? [new Measurement<long>(q.Claimable)] : Array.Empty<Measurement<long>>(),
            "{request}", "Coding requests waiting to be claimed, as this worker's sweeper last counted them");
        Meter.CreateObservableGauge<double>("symphony.coding.queue.oldest_age", () => _queue is { } q ? [new Measurement<double>(q.OldestAge.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            "s", "How long the oldest claimable coding request has waited");
    }

    sealed record QueueSnapshot(int Claimable, long OldestSinceMs)
    {
        public TimeSpan OldestAge => Claimable == 0 ? TimeSpan.Zero
            : TimeSpan.FromMilliseconds(Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - OldestSinceMs));
    }

    /// <summary>
    /// The W3C traceparent of the request being served, to keep on the coding request it records; null when nothing records
    /// this trace (telemetry off), so a worker does not parent its job to a trace no one keeps.
    /// </summary>
    public static string? CurrentTraceParent() => Activity.Current is { Recorded: true, IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    public static void NotesAccepted(int count)
    {
        if (count > 0) Accepted.Add(count);
    }

    /// <summary>What the sweeper counted: claimable requests and when the oldest of them became claimable (Unix ms).</summary>
    public static void QueueObserved(int claimable, long? oldestSinceMs) => _queue = new QueueSnapshot(claimable, oldestSinceMs ?? 0);

    public static void ClaimTook(TimeSpan elapsed) => StageDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", Stages.Claim));

    public static void CoderLookup(bool hit) => CoderLookups.Add(1, new KeyValuePair<string, object?>("cache.hit", hit));

    /// <summary>Starts the span and clock of one claimed request; dispose it when the request is finished.</summary>
    public static CodingJobTelemetry StartJob(CodingRequest request) => new(request);

    /// <summary>One request's span, its current stage span, and what it came to.</summary>
    public sealed class CodingJobTelemetry : IDisposable
    {
        readonly CodingRequest _request;
        readonly long _started = Stopwatch.GetTimestamp();
        readonly Activity? _job;
        Activity? _stage;
        string? _stageName;
        long _stageStarted;

        /// <summary>What the request came to; <see cref="Outcomes.Coded"/> unless set otherwise.</summary>
        public string Outcome { get; set; } = Outcomes.Coded;

        internal CodingJobTelemetry(CodingRequest request)
        {
            _request = request;
            ActivityContext.TryParse(request.TraceParent, null, isRemote: true, out var parent);
            _job = Source.StartActivity(ActivityKind.Consumer, parent, name: "coding job", startTime: request.Claim?.Started ?? default);
            if (_job is null) return;
            _job.SetTag("symphony.coding.request.id", request.Id);
            _job.SetTag("symphony.coding.focus", request.FocusReference);
            _job.SetTag("symphony.coding.focus.version", request.FocusVersion);
            _job.SetTag("symphony.coding.attempt", request.Attempts);
            if (request.Claim is { } claim)
            {
                // The batch's claim, as this request's first stage: the note's trace shows when a worker took it.
                _job.SetTag("symphony.coding.batch.size", claim.BatchSize);
                using var claimed = Source.StartActivity(ActivityKind.Internal, default, name: Stages.Claim, startTime: claim.Started);
                claimed?.SetEndTime(claim.Ended.UtcDateTime);
            }
        }

        /// <summary>Ends the current stage and starts <paramref name="name"/> (one of <see cref="Stages"/>).</summary>
        public void Stage(string name)
        {
            EndStage();
            _stageName = name;
            _stageStarted = Stopwatch.GetTimestamp();
            _stage = Source.StartActivity(name);
        }

        void EndStage()
        {
            if (_stageName is null) return;
            StageDuration.Record(Stopwatch.GetElapsedTime(_stageStarted).TotalSeconds, new KeyValuePair<string, object?>("stage", _stageName));
            _stage?.Dispose();
            _stage = null;
            _stageName = null;
        }

        public void Dispose()
        {
            EndStage();
            var focus = new KeyValuePair<string, object?>("focus.type", _request.FocusType);
            JobDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, focus, new KeyValuePair<string, object?>("outcome", Outcome));
            if (_request.FocusType == "DocumentReference")
            {
                if (Outcome == Outcomes.Coded) Coded.Add(1);
                else if (Outcome == Outcomes.Failed) Failed.Add(1);
            }
            if (_job is null) return;
            _job.SetTag("symphony.coding.outcome", Outcome);
            if (Outcome is Outcomes.Failed or Outcomes.Retry) _job.SetStatus(ActivityStatusCode.Error);
            _job.Dispose();
        }
    }
}
