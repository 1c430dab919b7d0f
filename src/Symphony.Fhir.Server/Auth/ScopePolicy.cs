using System.Security.Claims;
using Symphony.Fhir.Server.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Fhir;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// The one place that decides what a request's token may do. Routes declare the interaction they are
/// (<see cref="ScopePolicyExtensions.RequireScope"/>); Bundle entries, search results, included resources and operations ask
/// here too. system/ and user/ scopes reach every resource of their type; patient/ scopes only reads and searches of the
/// token's patient compartment (<see cref="PatientCompartment"/>), and nothing without a patient in the token.
/// </summary>
public sealed class ScopePolicy(IOptions<AuthOptions> options)
{
    public const string ScopeClaim = "scope";

    readonly bool _off = options.Value.Mode == AuthMode.None;

    /// <summary>Auth:Mode=none: every request may do everything.</summary>
    public bool ChecksNothing => _off;

    /// <summary>Whether the token reaches every resource of <paramref name="resourceType"/> for <paramref name="permission"/>.</summary>
    public bool Allows(HttpContext context, string resourceType, SmartPermission permission) =>
        _off || Granted(context).Any(scope => scope.Context != SmartContext.Patient && scope.Covers(resourceType, permission));

    /// <summary>The patient whose compartment a patient/ scope limits this read or search to; null when no patient/ scope allows it.</summary>
    /// <remarks>Never for AuditEvent: the log is read with an audit scope (system/ or user/AuditEvent.rs, or *), not a patient's.</remarks>
    public string? CompartmentFor(HttpContext context, string resourceType, SmartPermission permission) =>
        permission is SmartPermission.Read or SmartPermission.Search
        && resourceType != "AuditEvent"
        && context.User.FindFirst(PatientCompartment.PatientClaim)?.Value is { Length: > 0 } patient
        && Granted(context).Any(scope => scope.Context == SmartContext.Patient && scope.Covers(resourceType, permission))
            ? patient
            : null;

    /// <summary>Whether the token may read this stored resource (an included one, a search match, a Bundle entry's read).</summary>
    public bool CanRead(HttpContext context, StoredResource stored) =>
        Allows(context, stored.ResourceType, SmartPermission.Read)
        || CompartmentFor(context, stored.ResourceType, SmartPermission.Read) is { } patient && PatientCompartment.Contains(stored, patient);

    /// <summary>Throws 403 naming the scope that would allow it, unless the token's scopes allow <paramref name="permission"/> on every <paramref name="resourceType"/>.</summary>
    public void Demand(HttpContext context, string resourceType, SmartPermission permission)
    {
        if (!Allows(context, resourceType, permission))
            throw Forbidden(resourceType, permission);
    }

    /// <summary>
    /// As <see cref="Demand"/>, but a patient/ scope will do for a read or search: the answer is then the patient whose
    /// compartment the caller must limit it to (null: no limit).
    /// </summary>
    public string? DemandOrCompartment(HttpContext context, string resourceType, SmartPermission permission)
    {
        if (Allows(context, resourceType, permission))
            return null;
        return CompartmentFor(context, resourceType, permission) ?? throw Forbidden(resourceType, permission);
    }

    static FhirException Forbidden(string resourceType, SmartPermission permission)
    {
        var needed = new SmartScope(SmartContext.System, resourceType, permission);
        return new FhirException(StatusCodes.Status403Forbidden, Outcomes.Error(OperationOutcome.IssueType.Forbidden,
            $"The token's scopes do not allow this: it needs {needed} (or user/{resourceType}.{SmartScope.Letters(permission)})."));
    }

    /// <summary>The resource scopes of the request's token, parsed once per request.</summary>
    static IReadOnlyList<SmartScope> Granted(HttpContext context)
    {
        if (context.Items[typeof(ScopePolicy)] is IReadOnlyList<SmartScope> cached)
            return cached;
        var text = string.Join(' ', context.User.FindAll(ScopeClaim).Concat(context.User.FindAll("scp")).Select(c => c.Value));
        var scopes = text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => SmartScope.Parse(s).Scope).OfType<SmartScope>().ToList();
        context.Items[typeof(ScopePolicy)] = scopes;
        return scopes;
    }

    /// <summary>Who the token was issued to (its client), for what is only theirs (e.g. a $code-status); null without a token.</summary>
    public static string? ClientOf(ClaimsPrincipal user) =>
        user.FindFirst("client_id")?.Value ?? user.FindFirst("azp")?.Value ?? user.FindFirst("sub")?.Value;
}

public static class ScopePolicyExtensions
{
    /// <summary>The route is <paramref name="permission"/> on the resource type of its {type} segment, or on <paramref name="resourceType"/> (* for every type).</summary>
    public static RouteHandlerBuilder RequireScope(this RouteHandlerBuilder route, SmartPermission permission, string? resourceType = null) =>
        route.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var type = resourceType ?? context.GetRouteValue("type") as string ?? SmartScope.AnyType;
            var scopes = context.RequestServices.GetRequiredService<ScopePolicy>();
            var id = context.GetRouteValue("id") as string;
            // patient/ scopes: a read of one resource in the compartment, or a search whose results SearchSet limits to it.
            if (type != SmartScope.AnyType && (permission == SmartPermission.Search || permission == SmartPermission.Read && id is not null && resourceType is null))
            {
                if (scopes.DemandOrCompartment(context, type, permission) is { } patient && id is not null)
                {
                    var stored = await context.RequestServices.GetRequiredService<IResourceStore>().ReadAsync(type, id, context.RequestAborted);
                    if (stored is { IsDeleted: false } && !PatientCompartment.Contains(stored, patient))
                    {
                        throw new FhirException(StatusCodes.Status403Forbidden, Outcomes.Error(OperationOutcome.IssueType.Forbidden,
                            $"{type}/{id} is not in the Patient compartment of the token's patient."));
                    }
                }
            }
            else
            {
                scopes.Demand(context, type, permission);
            }
            return await next(invocation);
        });
}
