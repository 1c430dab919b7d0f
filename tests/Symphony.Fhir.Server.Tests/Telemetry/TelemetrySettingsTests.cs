using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Symphony.Fhir.Server.Telemetry;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Telemetry;

/// <summary>When the server collects telemetry, and the Prometheus scrape port.</summary>
public sealed class TelemetrySettingsTests
{
    static readonly ServerOptions Api = new(ServerRole.Api, StorageProvider.Sqlite, "unused.db", null);

    static TelemetryOptions Read(params (string Key, string Value)[] settings) =>
        TelemetryOptions.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build(), Api);

    [Fact]
    public void GivenNoExporterConfigured_WhenTheOptionsAreRead_ThenNothingIsCollected()
    {
        var options = Read();
        Assert.False(options.Collect);
        Assert.False(options.ExportsOtlp);
        Assert.Equal("symphony-api", options.ServiceName);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")]
    public void GivenAnOtlpEndpoint_WhenTheOptionsAreRead_ThenTelemetryIsCollectedAndExported(string variable)
    {
        var options = Read((variable, "http://collector:4317"), ("OTEL_SERVICE_NAME", "fhir-east"));
        Assert.True(options.Collect);
        Assert.True(options.ExportsOtlp);
        Assert.Equal("fhir-east", options.ServiceName);
        Assert.False(Read((variable, "http://collector:4317"), (TelemetryOptions.EnabledSetting, "false")).Collect);
    }

    [Theory]
    [InlineData(TelemetryOptions.PrometheusPortSetting, "0", "is not a port number")]
    [InlineData(TelemetryOptions.PrometheusPortSetting, "metrics", "is not a port number")]
    [InlineData(TelemetryOptions.EnabledSetting, "yes", "is not true or false")]
    public void GivenABadSetting_WhenTheOptionsAreRead_ThenTheServerRefusesToStartNamingIt(string setting, string value, string reason)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read((setting, value)));
        Assert.Contains(setting, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public async Task GivenNoExporterConfigured_WhenTheServerStarts_ThenNoTracerIsRegistered()
    {
        await using var backend = new SqliteTestBackend();
        var settings = new Dictionary<string, string?>(backend.ServerSettings) { ["role"] = "api", ["Terminology:LoadAtStartup"] = "false" };
        await using var factory = InMemoryServer.Start(settings);
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metadata")).StatusCode);
        Assert.Null(factory.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task GivenAPrometheusPort_WhenScraped_ThenMetricsAnswerAnonymouslyThereAndNowhereElse()
    {
        await using var backend = new SqliteTestBackend();
        var scrapePort = FreePort();
        var settings = new Dictionary<string, string?>(backend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            ["urls"] = "http://127.0.0.1:0",
            [TelemetryOptions.PrometheusPortSetting] = scrapePort.ToString(),
        };
        await using var factory = InMemoryServer.Start(settings);
        factory.UseKestrel();
        factory.StartServer();
        var fhirAddress = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).First(a => a.Port != scrapePort);
        using var fhir = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fhirAddress.Port}/") };
        using var scrape = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{scrapePort}/") };

        Assert.Equal(HttpStatusCode.OK, (await fhir.GetAsync("metadata")).StatusCode); // a request for the server's own metrics to count
        var metrics = await scrape.GetAsync("metrics");
        var body = await metrics.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("http_server_request_duration_seconds", body);
        Assert.Equal(HttpStatusCode.NotFound, (await scrape.GetAsync("metadata")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await fhir.GetAsync("metrics")).StatusCode);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
