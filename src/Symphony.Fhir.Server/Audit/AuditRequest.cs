using Microsoft.AspNetCore.Authorization;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Audit;

/// <summary>
/// What an audited request is (interaction, type, id) and who made it, taken when it starts; the resources the store
/// returned to it are added as it runs. Only references are kept: no token, query text or resource content.
/// </summary>
public sealed class AuditRequest
{
    public const string AuditEventType = "AuditEvent";

    /// <summary>The most resources one event names (a long search page or history still yields one bounded event).</summary>
    public const int MaxEntities = 100;

    readonly List<StoredResource> _seen = [];

    public required string Interaction { get; init; }
    public string? ResourceType { get; init; }
    public string? Id { get; init; }
    public string? Operation { get; init; }
    public string? Client { get; init; }
    public string? FhirUser { get; init; }
    public string? Address { get; init; }

    /// <summary>Set once a write's AuditEvent went into the write's own transaction: the request needs no other.</summary>
    public bool WrittenInTransaction { get; set; }

    public IReadOnlyList<StoredResource> Seen
    {
        get { lock (_seen) return [.. _seen]; }
    }

    public void Saw(IEnumerable<StoredResource> resources)
    {
        lock (_seen)
        {
            foreach (var resource in resources)
            {
                if (_seen.Count >= MaxEntities)
                    return;
                if (!_seen.Any(s => s.ResourceType == resource.ResourceType && s.Id == resource.Id))
                    _seen.Add(resource);
            }
        }
    }

    /// <summary>The request's audit record, or null for what is not audited: anonymous routes (health, metadata, discovery, token) and AuditEvent itself.</summary>
    public static AuditRequest? Of(HttpContext context)
    {
        if (context.GetEndpoint() is not RouteEndpoint endpoint || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            return null;
        var pattern = endpoint.RoutePattern.RawText ?? "";
        // The generic routes name the type in {type}; the operations' routes spell it (/DocumentReference/{id}/$code).
        var type = context.GetRouteValue("type") as string
            ?? pattern.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(s => s[0] is not ('{' or '$' or '_'));
        if (type == AuditEventType)
            return null;
        var id = context.GetRouteValue("id") as string;
        var operation = pattern.Split('/').FirstOrDefault(segment => segment.StartsWith('$'));
        var method = context.Request.Method;
        var interaction = operation is not null ? "operation" : (method, pattern) switch
        {
            ("POST", KnownRoutes.System) => "transaction",
            ("GET", KnownRoutes.SystemHistory) => "history-system",
            ("GET", KnownRoutes.Type) or ("POST", KnownRoutes.TypeSearch) => "search-type",
            ("POST", KnownRoutes.Type) => "create",
            ("GET", KnownRoutes.TypeHistory) => "history-type",
            ("GET", KnownRoutes.Instance) => "read",
            ("PUT", KnownRoutes.Instance) or ("PUT", Review.ConditionEdit.Route) => "update",
            ("DELETE", KnownRoutes.Instance) => "delete",
            ("GET", KnownRoutes.InstanceHistory) => "history-instance",
            ("GET", KnownRoutes.InstanceVersion) => "vread",
            _ => "operation",
        };
        var user = context.User;
        return new AuditRequest
        {
            Interaction = interaction,
            ResourceType = type,
            Id = id,
            Operation = operation ?? (interaction == "operation" ? pattern : null),
            Client = user.Identity?.IsAuthenticated == true ? ScopePolicy.ClientOf(user) : null,
            FhirUser = user.FindFirst("fhirUser")?.Value,
            Address = context.Connection.RemoteIpAddress?.ToString(),
        };
    }

    public static AuditRequest? Current(HttpContext? context) =>
        context?.Items[typeof(AuditRequest)] as AuditRequest;
}
