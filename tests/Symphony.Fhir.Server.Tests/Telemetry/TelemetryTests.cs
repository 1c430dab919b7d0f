using System.Diagnostics;
using System.Net;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Symphony.Fhir.Server.Telemetry;
using Symphony.Fhir.Server.Tests.CodingJobs;
using Symphony.Fhir.Server.Tests.Infrastructure;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Telemetry;

/// <summary>A coding server whose traces, metrics and logs go to in-memory exporters as well as wherever it sends them.</summary>
public abstract class TelemetryServerFixture : CodingServerFixture
{
    public List<Activity> Spans { get; } = [];
    public List<Metric> Metrics { get; } = [];
    public List<CapturedLog> Logs { get; } = [];

    protected override WebApplicationFactory<Program> StartServer(TestBackend backend)
    {
        var settings = Settings(backend);
        settings[TelemetryOptions.EnabledSetting] = "true";
        return InMemoryServer.Start(settings, web => web.ConfigureServices(services => services
            .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans))
            .ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(Metrics))
            .ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(new LogCapture(Logs)))));
    }

    /// <summary>Everything ended so far, the metrics collected now.</summary>
    public void Flush()
    {
        Factory.Services.GetRequiredService<TracerProvider>().ForceFlush();
        Metrics.Clear();
        Factory.Services.GetRequiredService<MeterProvider>().ForceFlush();
        Factory.Services.GetRequiredService<LoggerProvider>().ForceFlush();
    }

    /// <summary>What a log record carried, copied while it is exported (the SDK reuses the record afterwards).</summary>
    public sealed record CapturedLog(string Category, string Text, ActivityTraceId TraceId);

    sealed class LogCapture(List<CapturedLog> logs) : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord record)
        {
            var text = string.Join(" | ", new[] { record.FormattedMessage, record.Body, record.Exception?.ToString() }
                .Concat(record.Attributes?.Select(a => $"{a.Key}={a.Value}") ?? []));
            lock (logs) logs.Add(new CapturedLog(record.CategoryName ?? "", text, record.TraceId));
        }
    }
}

public sealed class SqliteTelemetryServerFixture : TelemetryServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresTelemetryServerFixture : TelemetryServerFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}

/// <summary>A note POSTed to a server with telemetry on: its coding job is one trace with the POST, and nothing private leaves.</summary>
public abstract class TelemetryTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : TelemetryServerFixture
{
    readonly CodingTestClient _coding = new(fixture);

    [BackendFact]
    public async Task GivenTelemetryOn_WhenANoteIsPosted_ThenItsCodingJobContinuesThePostsTraceThroughEveryStageAndTheCountsAreEmitted()
    {
        var note = SyntheaNote.Load("inpatient");
        note.Encounter.Id = "enc-telemetry";
        note.Document.Id = null;
        note.Document.Context!.Encounter[0].Reference = $"Encounter/{note.Encounter.Id}";
        await _coding.PutAsync(note.Patient, note.Encounter);
        var posted = await _coding.Http.PostAsync("/DocumentReference", CodingTestClient.Body(note.Document));
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        var documentId = posted.Headers.Location!.ToString().Split('/')[^3];
        await _coding.WaitForTaskAsync(documentId, status => status is FhirTask.TaskStatus.Completed);

        // The job's span ends after the Task is committed: wait for it rather than for the Task alone.
        Activity? job = null;
        await CodingTestClient.WaitAsync(() =>
        {
            fixture.Flush();
            lock (fixture.Spans)
                job = fixture.Spans.SingleOrDefault(s => s.Source.Name == CodingTelemetry.Name && s.DisplayName == "coding job"
                    && (string?)s.GetTagItem("symphony.coding.focus") == $"DocumentReference/{documentId}");
            return Task.FromResult(job is not null);
        });
        var spans = Snapshot(fixture.Spans);
        var post = Assert.Single(spans, s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("http.request.method") == "POST"
            && (string?)s.GetTagItem("url.path") == "/DocumentReference");

        Assert.Equal("POST /DocumentReference", post.DisplayName);
        Assert.Equal(post.TraceId, job!.TraceId);
        Assert.Equal(post.SpanId, job.ParentSpanId);
        Assert.Equal("coded", job.GetTagItem("symphony.coding.outcome"));
        var stages = spans.Where(s => s.ParentSpanId == job.SpanId && s.Source.Name == CodingTelemetry.Name).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(["claim", "decode", "code", "write-back"], stages.Select(s => s.DisplayName));
        Assert.All(stages, s => Assert.True(s.StartTimeUtc >= job.StartTimeUtc && s.StartTimeUtc + s.Duration <= job.StartTimeUtc + job.Duration, s.DisplayName));
        if (fixture.Backend is PostgresTestBackend)
        {
            // Npgsql's spans: the note and its coding request stored under the POST, the write-back's statements under its stage.
            Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.ParentSpanId == post.SpanId);
            Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.ParentSpanId == stages[3].SpanId);
            // Each named for what it does, so a viewer's waterfall reads as the write-back's steps.
            var writeBack = spans.Where(s => s.Source.Name == "Npgsql" && s.ParentSpanId == stages[3].SpanId).Select(s => s.DisplayName).ToList();
            Assert.Contains(writeBack, name => name.StartsWith("INSERT resource_history", StringComparison.Ordinal));
            Assert.Contains("UPDATE coding_request", writeBack);
            Assert.DoesNotContain(spans, s => s.Source.Name == "Npgsql" && s.DisplayName == "postgresql");
            // Hangfire's polling and the sweeper's counts start no trace of their own.
            Assert.DoesNotContain(spans, s => s.Source.Name == "Npgsql" && s.ParentSpanId == default);
        }

        // The worker's log line for the note carries the note's trace.
        var logs = Snapshot(fixture.Logs);
        Assert.Contains(logs, l => l.TraceId == post.TraceId && l.Text.Contains($"Coded DocumentReference/{documentId}"));

        Assert.Equal(1, Sum("symphony.notes.accepted"));
        Assert.Equal(1, Sum("symphony.notes.coded"));
        Assert.Equal(0, Sum("symphony.notes.failed"));
        Assert.Contains(fixture.Metrics, m => m.Name == "symphony.coding.queue.depth");
        Assert.True(HistogramCount("symphony.coding.stage.duration", "stage", "code") >= 1);
        Assert.True(HistogramCount("symphony.coding.job.duration", "outcome", "coded") >= 1);

        // No note text, token or client secret in any span attribute or log record.
        var token = _coding.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        var secrets = new[] { token, TestAuth.Secret }.Concat(Phrases(note.NoteText)).ToList();
        var attributes = spans.SelectMany(s => s.TagObjects.Select(t => $"{s.DisplayName} {t.Key}={t.Value}")
            .Concat(s.Events.SelectMany(e => e.Tags.Select(t => $"{s.DisplayName} event {e.Name} {t.Key}={t.Value}")))).ToList();
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(attributes, a => a.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(logs, l => l.Text.Contains(secret, StringComparison.Ordinal));
        }
    }

    /// <summary>Runs of words from the note, long enough not to be a code display or a resource's field.</summary>
    static IEnumerable<string> Phrases(string text)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 6 <= words.Length; i += 6)
            yield return string.Join(' ', words[i..(i + 6)]);
    }

    static List<T> Snapshot<T>(List<T> items)
    {
        lock (items) return items.ToList();
    }

    long Sum(string name) => fixture.Metrics.Where(m => m.Name == name).Sum(m =>
    {
        long sum = 0;
        foreach (ref readonly var point in m.GetMetricPoints()) sum += point.GetSumLong();
        return sum;
    });

    long HistogramCount(string name, string tag, string value) => fixture.Metrics.Where(m => m.Name == name).Sum(m =>
    {
        long count = 0;
        foreach (ref readonly var point in m.GetMetricPoints())
            foreach (var t in point.Tags)
                if (t.Key == tag && Equals(t.Value, value)) count += point.GetHistogramCount();
        return count;
    });
}

public sealed class SqliteTelemetryTests(SqliteTelemetryServerFixture fixture) : TelemetryTests<SqliteTelemetryServerFixture>(fixture);

public sealed class PostgresTelemetryTests(PostgresTelemetryServerFixture fixture) : TelemetryTests<PostgresTelemetryServerFixture>(fixture);
