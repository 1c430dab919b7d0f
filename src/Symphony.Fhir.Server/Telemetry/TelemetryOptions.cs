namespace Symphony.Fhir.Server.Telemetry;

/// <summary>
/// What the process collects and where it goes. OTLP is configured by the standard OpenTelemetry environment variables
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c>, …); the settings
/// here are the product's own (section <c>Telemetry</c>).
/// </summary>
public sealed record TelemetryOptions(bool Collect, bool ExportsOtlp, int? PrometheusPort, string ServiceName)
{
    public const string EnabledSetting = "Telemetry:Enabled";
    public const string PrometheusPortSetting = "Telemetry:PrometheusPort";

    /// <summary>Any of these set means traces, metrics or logs go to an OTLP endpoint.</summary>
    static readonly string[] OtlpEndpointSettings =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    ];

    /// <summary>
    /// Collection is on when something receives it (an OTLP endpoint, the Prometheus port) unless Telemetry:Enabled says
    /// otherwise: with no receiver, spans and measurements would cost CPU for nobody.
    /// </summary>
    public static TelemetryOptions From(IConfiguration configuration, ServerOptions server)
    {
        var otlp = OtlpEndpointSettings.Any(s => !string.IsNullOrWhiteSpace(configuration[s]));
        int? port = null;
        if (configuration[PrometheusPortSetting] is { Length: > 0 } portText)
        {
            if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > 65535)
                throw new InvalidOperationException($"{PrometheusPortSetting} '{portText}' is not a port number (1–65535), e.g. --{PrometheusPortSetting} 9464.");
            port = parsed;
        }
        bool? enabled = null;
        if (configuration[EnabledSetting] is { Length: > 0 } enabledText)
            enabled = bool.TryParse(enabledText, out var value) ? value
                : throw new InvalidOperationException($"{EnabledSetting} '{enabledText}' is not true or false.");
        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : $"symphony-{server.RoleName}";
        return new TelemetryOptions(enabled ?? (otlp || port is not null), otlp, port, serviceName);
    }
}
