using Hangfire;
using Hangfire.PostgreSql;
using Symphony.Fhir.Server.Intake;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>Which parts of the product a process runs: `--role api` (HTTP only), `--role worker` (coding jobs only) or both (default).</summary>
public static class Roles
{
    public static bool RunsWorker(IConfiguration configuration) => (configuration["role"] ?? "both").ToLowerInvariant() is "worker" or "both";

    public static bool RunsApi(IConfiguration configuration) => (configuration["role"] ?? "both").ToLowerInvariant() is "api" or "both";
}

public static class CodingApi
{
    /// <summary>Intake (coding requests recorded with the notes), the coding jobs on Hangfire, and $code.</summary>
    public static WebApplicationBuilder AddCoding(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CodingJobOptions>().BindConfiguration("Coding");
        var services = builder.Services;

        // Every write goes through intake, so a stored note always has its coding request.
        var storeRegistration = services.Last(d => d.ServiceType == typeof(IResourceStore));
        services.Remove(storeRegistration);
        services.AddSingleton<IResourceStore>(sp => new IntakeStore(Resolve(sp, storeRegistration), sp.GetRequiredService<CodingSignal>()));

        services.AddSingleton<CodingSignal>();
        services.AddSingleton<CodingRequests>();
        services.AddSingleton<CoderCatalog>();
        builder.AddAgentCoding();
        services.AddSingleton<CodingPipeline>();
        services.AddTransient<CodingJob>();

        var postgres = builder.Configuration["Storage:Provider"]?.Equals("postgres", StringComparison.OrdinalIgnoreCase) == true;
        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        services.AddHangfire(config =>
        {
            config.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            if (postgres)
                config.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString),
                    new PostgreSqlStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(100), PrepareSchemaIfNecessary = true });
            else
                config.UseInMemoryStorage(); // embedded: requests live in the database; the sweeper re-enqueues them after a restart
        });
        if (Roles.RunsWorker(builder.Configuration))
        {
            var options = builder.Configuration.GetSection("Coding").Get<CodingJobOptions>() ?? new CodingJobOptions();
            services.AddHangfireServer(o =>
            {
                o.Queues = ["coding"];
                o.WorkerCount = options.WorkerCount;
                o.ServerCheckInterval = TimeSpan.FromSeconds(30);
            });
            services.AddHostedService<CodingSweeper>();
        }
        return builder;
    }

    public static WebApplication MapCoding(this WebApplication app) => app.MapCodeOperation();

    static IResourceStore Resolve(IServiceProvider sp, ServiceDescriptor registration) =>
        registration.ImplementationInstance as IResourceStore
        ?? (IResourceStore?)registration.ImplementationFactory?.Invoke(sp)
        ?? (IResourceStore)ActivatorUtilities.CreateInstance(sp, registration.ImplementationType!);
}
