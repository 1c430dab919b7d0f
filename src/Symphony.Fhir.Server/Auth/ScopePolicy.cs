using System.Security.Claims;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Fhir;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// The one place that decides what a request's token may do. Routes declare the interaction they are
/// (<see cref="ScopePolicyExtensions.RequireScope"/>); Bundle entries, included resources and operations ask here too.
/// patient/ scopes grant nothing yet: the Patient compartment they are limited to is not enforced, so they are refused
/// rather than taken as system-wide.
/// </summary>
public sealed class ScopePolicy(IOptions<AuthOptions> options)
{
    public const string ScopeClaim = "scope";

    readonly bool _off = options.Value.Mode == AuthMode.None;

    /// <summary>Auth:Mode=none: every request may do everything.</summary>
    public bool ChecksNothing => _off;

    public bool Allows(HttpContext context, string resourceType, SmartPermission permission) =>
        _off || Granted(context).Any(scope => scope.Context != SmartContext.Patient && scope.Covers(resourceType, permission));

    /// <summary>Throws 403 naming the scope that would allow it, unless the token's scopes allow <paramref name="permission"/> on <paramref name="resourceType"/>.</summary>
    public void Demand(HttpContext context, string resourceType, SmartPermission permission)
    {
        if (Allows(context, resourceType, permission))
            return;
        var needed = new SmartScope(SmartContext.System, resourceType, permission);
        throw new FhirException(StatusCodes.Status403Forbidden, Outcomes.Error(OperationOutcome.IssueType.Forbidden,
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
            context.RequestServices.GetRequiredService<ScopePolicy>().Demand(context, type, permission);
            return await next(invocation);
        });
}
