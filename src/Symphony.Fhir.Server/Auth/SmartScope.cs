namespace Symphony.Fhir.Server.Auth;

/// <summary>The SMART v2 interactions a resource scope grants: <c>c r u d s</c>.</summary>
[Flags]
public enum SmartPermission
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

/// <summary>Whose data a scope reaches: the token's patient, the signed-in user's, or any (a backend service).</summary>
public enum SmartContext
{
    Patient,
    User,
    System,
}

/// <summary>
/// One SMART resource scope, <c>{patient|user|system}/{Type|*}.{cruds}</c>; the v1 forms <c>read</c> (= rs), <c>write</c>
/// (= cud) and <c>*</c> (= cruds) mean their v2 equivalents.
/// </summary>
public sealed record SmartScope(SmartContext Context, string ResourceType, SmartPermission Permissions)
{
    public const string AnyType = "*";

    /// <summary>Scopes that grant no resource access but are accepted in a request (OpenID Connect, launch context, refresh).</summary>
    public static readonly IReadOnlySet<string> Other = new HashSet<string>(StringComparer.Ordinal)
    {
        "openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter", "offline_access", "online_access",
    };

    public bool Covers(string resourceType, SmartPermission permission) =>
        (ResourceType == AnyType || ResourceType == resourceType) && (Permissions & permission) == permission;

    public override string ToString() => $"{Context.ToString().ToLowerInvariant()}/{ResourceType}.{Letters(Permissions)}";

    /// <summary>The v2 letters of <paramref name="permissions"/>, in the order SMART writes them.</summary>
    public static string Letters(SmartPermission permissions) => string.Concat(
        new[] { (SmartPermission.Create, 'c'), (SmartPermission.Read, 'r'), (SmartPermission.Update, 'u'), (SmartPermission.Delete, 'd'), (SmartPermission.Search, 's') }
            .Where(p => (permissions & p.Item1) != 0).Select(p => p.Item2));

    /// <summary>A resource scope, or null with why <paramref name="text"/> is not one.</summary>
    public static (SmartScope? Scope, string? Problem) Parse(string text)
    {
        var slash = text.IndexOf('/');
        var dot = text.LastIndexOf('.');
        if (slash <= 0 || dot < slash + 2 || dot == text.Length - 1)
            return (null, $"'{text}' is not a SMART scope (context/Type.cruds)");
        if (text.Contains('?'))
            return (null, $"'{text}': scopes with search parameters are not supported");
        SmartContext? context = text[..slash] switch
        {
            "patient" => SmartContext.Patient,
            "user" => SmartContext.User,
            "system" => SmartContext.System,
            _ => null,
        };
        if (context is null)
            return (null, $"'{text}' does not start with patient/, user/ or system/");
        var type = text[(slash + 1)..dot];
        if (type != AnyType && !Hl7.Fhir.Model.ModelInfo.IsKnownResource(type))
            return (null, $"'{text}' names no FHIR R4 resource type");
        var permissions = ParsePermissions(text[(dot + 1)..]);
        return permissions is null
            ? (null, $"'{text}' does not end in cruds letters (in that order), read, write or *")
            : (new SmartScope(context.Value, type, permissions.Value), null);
    }

    static SmartPermission? ParsePermissions(string text)
    {
        switch (text)
        {
            case "read": return SmartPermission.Read | SmartPermission.Search;
            case "write": return SmartPermission.Create | SmartPermission.Update | SmartPermission.Delete;
            case "*": return SmartPermission.All;
        }
        var result = SmartPermission.None;
        var last = -1;
        foreach (var letter in text)
        {
            var index = "cruds".IndexOf(letter);
            if (index <= last)
                return null;
            last = index;
            result |= (SmartPermission)(1 << index);
        }
        return result;
    }

    /// <summary>
    /// The resource scopes in a space-separated list, the other accepted scopes apart; a problem names the first
    /// scope that is neither.
    /// </summary>
    public static (IReadOnlyList<SmartScope> Scopes, string? Problem) ParseAll(string? text)
    {
        var scopes = new List<SmartScope>();
        foreach (var item in (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Other.Contains(item))
                continue;
            var (scope, problem) = Parse(item);
            if (scope is null)
                return (scopes, problem);
            scopes.Add(scope);
        }
        return (scopes, null);
    }

    /// <summary>Whether a client registered for <paramref name="allowed"/> may ask for <paramref name="requested"/> (a scope it has, or a narrower one).</summary>
    public static bool IsWithin(string requested, IReadOnlyCollection<string> allowed)
    {
        if (allowed.Contains(requested))
            return true;
        if (Parse(requested).Scope is not { } scope)
            return false;
        return allowed.Select(a => Parse(a).Scope).Any(a => a is not null && a.Context == scope.Context
            && (a.ResourceType == AnyType || a.ResourceType == scope.ResourceType)
            && (a.Permissions & scope.Permissions) == scope.Permissions);
    }

    /// <summary>
    /// What a user's sign-in grants an app: each requested scope as far as both the client's registration and the user's own
    /// scopes reach (user/Observation.rs asked, user/*.r allowed: user/Observation.r). A user's user/ scope reaches the
    /// same patient/ scope (a patient in context is data the user may see). Scopes that grant no resource access (openid,
    /// fhirUser, launch…, offline_access) need the client's registration only: the user's scopes limit data, not protocol.
    /// </summary>
    public static IReadOnlyList<string> Grant(IEnumerable<string> requested, IReadOnlyCollection<string> client, IReadOnlyCollection<string> user)
    {
        var granted = new List<string>();
        var clientScopes = client.Select(c => Parse(c).Scope).OfType<SmartScope>().ToList();
        var userScopes = user.Select(u => Parse(u).Scope).OfType<SmartScope>().ToList();
        foreach (var item in requested)
        {
            if (Other.Contains(item))
            {
                if (client.Contains(item))
                    granted.Add(item);
                continue;
            }
            if (Parse(item).Scope is not { } asked)
                continue;
            foreach (var byClient in clientScopes.Where(c => c.Context == asked.Context).Select(c => Intersect(asked, c)).OfType<SmartScope>())
            {
                foreach (var byUser in userScopes.Where(u => u.Context == byClient.Context || u.Context == SmartContext.User && byClient.Context == SmartContext.Patient))
                {
                    if (Intersect(byClient, byUser with { Context = byClient.Context }) is { } both)
                        granted.Add(both.ToString());
                }
            }
        }
        return granted.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The access two scopes of the same context both give, or null if they share none.</summary>
    static SmartScope? Intersect(SmartScope a, SmartScope b)
    {
        var type = a.ResourceType == AnyType ? b.ResourceType : b.ResourceType == AnyType || b.ResourceType == a.ResourceType ? a.ResourceType : null;
        var permissions = a.Permissions & b.Permissions;
        return type is null || permissions == SmartPermission.None ? null : new SmartScope(a.Context, type, permissions);
    }
}
