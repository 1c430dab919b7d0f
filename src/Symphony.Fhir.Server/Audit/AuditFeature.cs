using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Audit;

/// <summary>
/// Every request that reads or writes resources is recorded as an AuditEvent in the resource store: a write's event in
/// the write's transaction (<see cref="AuditingStore"/>), a read's queued and stored in batches (<see cref="AuditWriter"/>).
/// </summary>
public static class AuditFeature
{
    /// <summary>Call after every feature that wraps the store, so that audit sees each write whatever wraps it.</summary>
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuditOptions>, AuditOptionsValidation>();
        services.AddHttpContextAccessor();
        var storeRegistration = services.Last(d => d.ServiceType == typeof(IResourceStore));
        services.Remove(storeRegistration);
        services.AddSingleton(sp => new AuditingStore(Resolve(sp, storeRegistration), sp.GetRequiredService<IHttpContextAccessor>()));
        services.AddSingleton<IResourceStore>(sp => sp.GetRequiredService<AuditingStore>());
        // The log is read-only to clients: the CapabilityStatement says so (the store refuses the writes).
        if (services.LastOrDefault(d => d.ServiceType == typeof(CapabilityStatement))?.ImplementationInstance is CapabilityStatement capabilities
            && capabilities.Rest.SelectMany(r => r.Resource).FirstOrDefault(r => r.Type?.ToString() == AuditRequest.AuditEventType) is { } auditEvent)
        {
            auditEvent.Interaction.RemoveAll(i => i.Code is CapabilityStatement.TypeRestfulInteraction.Create
                or CapabilityStatement.TypeRestfulInteraction.Update or CapabilityStatement.TypeRestfulInteraction.Delete);
            auditEvent.UpdateCreate = false;
            auditEvent.ConditionalCreate = false;
        }
        services.AddSingleton<AuditQueue>();
        services.AddHostedService<AuditWriter>();
        return builder;
    }

    /// <summary>After authentication (the token says who), before authorization (a refused request is recorded too).</summary>
    public static WebApplication UseAudit(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (AuditRequest.Of(context) is not { } request)
            {
                await next(context);
                return;
            }
            context.Items[typeof(AuditRequest)] = request;
            var status = StatusCodes.Status500InternalServerError;
            try
            {
                await next(context);
                status = context.Response.StatusCode;
            }
            catch (FhirException e)
            {
                status = e.StatusCode;
                throw;
            }
            catch (BadHttpRequestException e)
            {
                status = e.StatusCode;
                throw;
            }
            catch (VersionConflictException)
            {
                status = StatusCodes.Status412PreconditionFailed;
                throw;
            }
            finally
            {
                if (!request.WrittenInTransaction)
                    await context.RequestServices.GetRequiredService<AuditQueue>().EnqueueAsync(new(request, status, DateTimeOffset.UtcNow));
            }
        });
        return app;
    }

    static IResourceStore Resolve(IServiceProvider sp, ServiceDescriptor registration) =>
        registration.ImplementationInstance as IResourceStore
        ?? (IResourceStore?)registration.ImplementationFactory?.Invoke(sp)
        ?? (IResourceStore)ActivatorUtilities.CreateInstance(sp, registration.ImplementationType!);
}
