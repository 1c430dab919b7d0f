using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Health;

/// <summary>
/// `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: every check tagged "ready" passes — the
/// database, and whatever each feature of this role loads after start), both with a JSON body naming each part.
/// </summary>
public static class HealthFeature
{
    public const string ReadyTag = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<DatabaseCheck>("database", HealthStatus.Unhealthy, [ReadyTag]);
        return builder;
    }

    /// <summary>Declares a part of this process that becomes ready in the background; inject it with [FromKeyedServices(name)].</summary>
    public static IServiceCollection AddReadiness(this IServiceCollection services, string name, string waitingFor)
    {
        services.AddKeyedSingleton(name, new Readiness(waitingFor));
        services.AddHealthChecks().Add(new HealthCheckRegistration(name, sp => sp.GetRequiredKeyedService<Readiness>(name), HealthStatus.Unhealthy, [ReadyTag]));
        return services;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        var role = app.Services.GetRequiredService<ServerOptions>().RoleName;
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = (c, r) => WriteAsync(c, r, role) }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = (c, r) => WriteAsync(c, r, role) }).AllowAnonymous();
        return app;
    }

    static async System.Threading.Tasks.Task WriteAsync(HttpContext context, HealthReport report, string role)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status == HealthStatus.Healthy ? "ready" : "not ready");
        json.WriteString("role", role);
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteBoolean("ready", entry.Status == HealthStatus.Healthy);
            json.WriteString("detail", entry.Description ?? entry.Exception?.Message ?? "");
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }
}

/// <summary>A part that loads after start (terminology, validator, coder): not ready, saying how far it got or why it failed, until it reports ready.</summary>
public sealed class Readiness(string waitingFor) : IHealthCheck
{
    sealed record State(bool Ready, string Detail);

    volatile State _state = new(false, waitingFor);

    public bool IsReady => _state.Ready;

    /// <summary>What is loaded or loading, or why loading failed, in words (logs and the readiness body).</summary>
    public string Detail => _state.Detail;

    public void Ready(string detail) => _state = new State(true, detail);

    /// <summary>Still not ready: progress made so far, or the failure that keeps it so.</summary>
    public void NotReady(string detail) => _state = new State(false, detail);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = _state;
        return System.Threading.Tasks.Task.FromResult(state.Ready ? HealthCheckResult.Healthy(state.Detail) : HealthCheckResult.Unhealthy(state.Detail));
    }
}

/// <summary>The database answers and the schema migrations are applied, within a bounded time.</summary>
public sealed class DatabaseCheck(IResourceStore store) : IHealthCheck
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await store.MigrateAsync(timeout.Token);
            await store.ReadAsync("Patient", "readiness-probe", timeout.Token);
            return HealthCheckResult.Healthy("reachable, migrations applied");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"no answer within {Timeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"unreachable ({e.GetType().Name})");
        }
    }
}
