using System.Diagnostics;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Symphony.Fhir.Server.Telemetry;

/// <summary>
/// OpenTelemetry traces, metrics and logs (docs/telemetry.md): ASP.NET Core, HttpClient, Npgsql and the coding jobs;
/// exported over OTLP when the standard OTEL_EXPORTER_OTLP_* variables name an endpoint, scraped by Prometheus on
/// Telemetry:PrometheusPort when it is set, and not collected at all when neither is.
/// </summary>
public static class TelemetryFeature
{
    /// <summary>Paths polled by orchestrators and scrapers: a span each would bury the requests that matter.</summary>
    static readonly string[] UntracedPaths = ["/healthz", "/readyz", PrometheusPath];

    const string PrometheusPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var options = TelemetryOptions.From(builder.Configuration, builder.ServerOptions());
        builder.Services.AddSingleton(options);
        if (!options.Collect) return builder;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName, serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new UnparentedClientCallsDropped()))
                .AddSource(CodingTelemetry.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !UntracedPaths.Contains(context.Request.Path.Value, StringComparer.OrdinalIgnoreCase))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                // Before the exporters, which UseOtlpExporter adds after this: they send the names it gives.
                .AddProcessor(new SpanNames()))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(CodingTelemetry.Name, "Npgsql")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (options.PrometheusPort is not null) metrics.AddPrometheusExporter();
            })
            .WithLogging(logging => { }, logging => logging.IncludeFormattedMessage = true);
        if (options.ExportsOtlp) telemetry.UseOtlpExporter();

        if (options.PrometheusPort is { } port)
        {
            // Kestrel listens on the scrape port besides the configured urls; MapTelemetry keeps it to /metrics.
            var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey) is { Length: > 0 } configured ? configured : "http://localhost:5000";
            builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, $"{urls};http://*:{port}");
        }
        return builder;
    }

    /// <summary>
    /// The Prometheus scrape endpoint, anonymous, answered only on Telemetry:PrometheusPort; that port answers nothing else,
    /// so the FHIR port never serves metrics and the scrape port never serves FHIR. Call before authentication.
    /// </summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        if (app.Services.GetRequiredService<TelemetryOptions>().PrometheusPort is not { } port) return app;
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => context.Connection.LocalPort == port && context.Request.Path == PrometheusPath);
        app.Use((context, next) =>
        {
            if (context.Connection.LocalPort != port) return next(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return System.Threading.Tasks.Task.CompletedTask;
        });
        return app;
    }

    /// <summary>
    /// Database and HTTP calls made outside any request or coding job — Hangfire's queue polling, the sweeper's count,
    /// the terminology generation check — would each start a trace of one span, many per second: they are not recorded.
    /// Calls inside a request or job follow their parent's decision (<see cref="ParentBasedSampler"/>).
    /// </summary>
    sealed class UnparentedClientCallsDropped : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters parameters) =>
            new(parameters.Kind == ActivityKind.Client ? SamplingDecision.Drop : SamplingDecision.RecordAndSample);
    }
}
