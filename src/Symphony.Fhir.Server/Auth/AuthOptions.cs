using Microsoft.Extensions.Options;

namespace Symphony.Fhir.Server.Auth;

/// <summary>How requests are checked: by the built-in authorisation server's tokens (default), an external issuer's, or not at all.</summary>
public enum AuthMode
{
    /// <summary>Tokens from this server's token endpoint, or from <see cref="AuthOptions.Authority"/> when it is set.</summary>
    Smart,

    /// <summary>No checks: for a server behind a gateway that authenticates and authorises every request.</summary>
    None,
}

/// <summary>A client registered by configuration (<c>Auth:Clients:{i}:*</c>): one of a secret, an inline JWKS or a JWKS URL.</summary>
public sealed class ClientOptions
{
    public string ClientId { get; set; } = "";

    /// <summary>Space-separated scopes the client may ask for.</summary>
    public string Scopes { get; set; } = "";

    public string? Secret { get; set; }

    /// <summary>Inline JWKS JSON with the public keys of the client's assertions (SMART Backend Services).</summary>
    public string? Jwks { get; set; }

    public string? JwksUrl { get; set; }

    /// <summary>Space-separated redirect URIs for the authorisation code flow, matched exactly; with no credential, a public client.</summary>
    public string? RedirectUris { get; set; }
}

/// <summary>
/// The built-in public client of the coders' review app served at <c>/review/</c> (<c>Auth:ReviewClient:*</c>): its redirect URIs
/// are <c>{base}/review/</c> and <c>{base}/review/index.html</c>, the base being <c>Auth:BaseUrl</c> or the URL a request came to.
/// </summary>
public sealed class ReviewClientOptions
{
    public const string ClientId = "symphony-review";

    /// <summary>What the review app asks for: the user's identity and launch context, reads, and the updates <c>$review</c> demands (Condition.u, Procedure.u).</summary>
    public const string DefaultScopes = "openid fhirUser launch launch/patient launch/encounter offline_access user/*.rs user/Condition.u user/Procedure.u";

    public bool Enabled { get; set; } = true;

    public string Scopes { get; set; } = DefaultScopes;
}

/// <summary>
/// A user of the login page registered by configuration (<c>Auth:Users:{i}:*</c>), or stored by <c>symphony auth user add</c>:
/// the FHIR resource the user is (fhirUser) and the scopes they may grant.
/// </summary>
public sealed class UserOptions
{
    public string UserName { get; set; } = "";

    /// <summary>A <see cref="SecretHash"/> (<c>symphony auth user hash-password</c> prints one), never the password.</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>e.g. Practitioner/123.</summary>
    public string FhirUser { get; set; } = "";

    public string Scopes { get; set; } = "";

    static readonly string[] UserTypes = ["Practitioner", "Patient", "RelatedPerson", "Person"];

    /// <summary>Why <paramref name="fhirUser"/> cannot be a user's fhirUser, or null if it can.</summary>
    public static string? FhirUserProblem(string? fhirUser) =>
        fhirUser?.Split('/') is [var type, var id] && UserTypes.Contains(type) && System.Text.RegularExpressions.Regex.IsMatch(id, "^[A-Za-z0-9\\-.]{1,64}$")
            ? null
            : $"'{fhirUser}' is not a reference to a {string.Join(", ", UserTypes)} (e.g. Practitioner/123)";
}

/// <summary>The section "Auth", read in one place and checked at start.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.Smart;

    /// <summary>An external issuer (OIDC discovery + JWKS); the built-in token endpoint is off when set.</summary>
    public string? Authority { get; set; }

    /// <summary>
    /// The FHIR base URL as clients know it: the issuer of the built-in server and the audience tokens must name. Unset, it is
    /// the URL each request came to (one process, or processes behind one name given here).
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>How long an access token from the built-in server is valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Where the first start writes the admin client's credentials; default admin-client.json in the data folder.</summary>
    public string? AdminClientFile { get; set; }

    public List<ClientOptions> Clients { get; set; } = [];

    public List<UserOptions> Users { get; set; } = [];

    public ReviewClientOptions ReviewClient { get; set; } = new();

    public bool UsesBuiltInServer => Mode == AuthMode.Smart && string.IsNullOrEmpty(Authority);

    public static string Name(string property) => $"{Section}:{property}";

    /// <summary>Why these options cannot be used, or null if they can.</summary>
    public string? Problem()
    {
        if (Authority is { Length: > 0 } && !Uri.TryCreate(Authority, UriKind.Absolute, out _))
            return $"{Name(nameof(Authority))} '{Authority}' is not an absolute URL.";
        if (BaseUrl is { Length: > 0 } && !Uri.TryCreate(BaseUrl, UriKind.Absolute, out _))
            return $"{Name(nameof(BaseUrl))} '{BaseUrl}' is not an absolute URL.";
        if (TokenLifetime < TimeSpan.FromMinutes(1) || TokenLifetime > TimeSpan.FromDays(1))
            return $"{Name(nameof(TokenLifetime))} must be between 00:01:00 and 1.00:00:00.";
        for (var i = 0; i < Clients.Count; i++)
        {
            var client = Clients[i];
            var at = $"{Name("Clients")}:{i}";
            if (string.IsNullOrWhiteSpace(client.ClientId))
                return $"{at}:ClientId is not set.";
            var credentials = new[] { client.Secret, client.Jwks, client.JwksUrl }.Count(c => !string.IsNullOrEmpty(c));
            if (credentials > 1 || credentials == 0 && string.IsNullOrWhiteSpace(client.RedirectUris))
                return $"{at} ('{client.ClientId}') needs exactly one of Secret, Jwks or JwksUrl, or none and RedirectUris (a public client).";
            if (RedirectUriProblem(client.RedirectUris) is { } redirect)
                return $"{at}:RedirectUris: {redirect}";
            if (client.Jwks is { Length: > 0 } jwks && ClientKeys.Parse(jwks) is null)
                return $"{at}:Jwks is not a JSON Web Key Set with at least one key.";
            if (client.JwksUrl is { Length: > 0 } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
                return $"{at}:JwksUrl '{url}' is not an absolute URL.";
            if (SmartScope.ParseAll(client.Scopes).Problem is { } problem)
                return $"{at}:Scopes: {problem}";
        }
        for (var i = 0; i < Users.Count; i++)
        {
            var user = Users[i];
            var at = $"{Name("Users")}:{i}";
            if (string.IsNullOrWhiteSpace(user.UserName))
                return $"{at}:UserName is not set.";
            if (!SecretHash.IsHash(user.PasswordHash))
                return $"{at}:PasswordHash is not a hash (symphony auth user hash-password prints one).";
            if (UserOptions.FhirUserProblem(user.FhirUser) is { } fhirUser)
                return $"{at}:FhirUser: {fhirUser}";
            if (SmartScope.ParseAll(user.Scopes).Problem is { } problem)
                return $"{at}:Scopes: {problem}";
        }
        if (SmartScope.ParseAll(ReviewClient.Scopes).Problem is { } reviewScopes)
            return $"{Name("ReviewClient")}:Scopes: {reviewScopes}";
        var duplicate = Clients.GroupBy(c => c.ClientId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            return $"{Name("Clients")} names '{duplicate.Key}' more than once.";
        return null;
    }

    /// <summary>Why a space-separated list of redirect URIs cannot be used (each absolute, not a file path, no fragment), or null if it can.</summary>
    public static string? RedirectUriProblem(string? uris) =>
        (uris ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.IsFile || uri.Fragment.Length > 0) is { } bad
            ? $"'{bad}' is not an absolute URI without a fragment"
            : null;
}

public sealed class AuthOptionsValidation : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
