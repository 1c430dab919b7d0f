using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Symphony.Fhir.Server.Health;
using Symphony.Fhir.Server.Intake;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.CodingJobs;

public static class CodingApi
{
    /// <summary>Intake (coding requests recorded with the notes), the coding jobs on Hangfire, and $code.</summary>
    public static WebApplicationBuilder AddCoding(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CodingJobOptions>().BindConfiguration("Coding");
        builder.Services.AddOptions<CodingLanguageOptions>().BindConfiguration("Coding").ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<CodingLanguageOptions>, CodingLanguageOptionsValidation>();
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

        var server = builder.ServerOptions();
        // This host's own job storage and job activator, registered before AddHangfire, which only TryAdds them as
        // whatever the statics JobStorage.Current and JobActivator.Current hold when first asked for: with two hosts
        // in one process (tests), a host could enqueue into the other's storage or run its jobs with the other's
        // services. The client (CodingSignal) and the server take these; the storage is never put in the static.
        services.AddSingleton<JobStorage>(_ =>
        {
            if (server.Provider != StorageProvider.Postgres)
                return new InMemoryStorage(); // embedded: requests live in the database; the sweeper re-enqueues them after a restart
            var options = new PostgreSqlStorageOptions { QueuePollInterval = TimeSpan.FromMilliseconds(100), PrepareSchemaIfNecessary = true };
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(server.PostgresConnectionString, options), options);
        });
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire(config => config.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings());
        if (server.RunsWorker)
        {
            services.AddReadiness(CodingSweeper.CoderPart, "loading the coder");
            services.AddHostedService<CodingJobServer>();
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
