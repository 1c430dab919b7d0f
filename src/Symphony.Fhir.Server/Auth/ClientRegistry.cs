using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// A client the built-in server knows: what it may ask for, how it proves who it is (a secret, keys, or nothing: a public
/// client), and where the authorisation code flow may send its user back (exact match).
/// </summary>
public sealed record RegisteredClient(
    string ClientId,
    IReadOnlyList<string> Scopes,
    Func<string, bool>? CheckSecret,
    Func<CancellationToken, Task<IReadOnlyList<SecurityKey>>>? Keys,
    IReadOnlyList<string>? RedirectUris = null)
{
    /// <summary>No secret and no keys: it proves nothing at the token endpoint, so it gets tokens only through the authorisation code flow with PKCE.</summary>
    public bool IsPublic => CheckSecret is null && Keys is null;

    public bool AllowsRedirect(string? uri) => uri is { Length: > 0 } && (RedirectUris ?? []).Contains(uri, StringComparer.Ordinal);
}

/// <summary>
/// The clients of configuration (<c>Auth:Clients</c>), the review app's (<c>Auth:ReviewClient</c>), then those of the database
/// (the admin client the first start made and those <c>symphony auth client add</c> stored), read at each request so that an
/// added or removed client counts at once.
/// </summary>
public sealed class ClientRegistry(IOptions<AuthOptions> options, AuthStore store, IHttpContextAccessor http)
{
    public async Task<RegisteredClient?> FindAsync(string? clientId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(clientId))
            return null;
        if (options.Value.Clients.FirstOrDefault(c => c.ClientId == clientId) is { } configured)
        {
            return new RegisteredClient(configured.ClientId, Split(configured.Scopes),
                configured.Secret is { Length: > 0 } secret ? given => SameSecret(given, secret) : null,
                configured.Jwks is { Length: > 0 } || configured.JwksUrl is { Length: > 0 } ? c => ClientKeys.ForAsync(configured, c) : null,
                Split(configured.RedirectUris));
        }
        if (clientId == ReviewClientOptions.ClientId && options.Value.ReviewClient is { Enabled: true } review && http.HttpContext is { } context)
        {
            var reviewApp = AuthUrls.BaseUrl(context.Request, options.Value) + "/review/";
            return new RegisteredClient(clientId, Split(review.Scopes), null, null, [reviewApp, reviewApp + "index.html"]);
        }
        if (await store.FindClientAsync(clientId, ct) is { } stored)
        {
            var redirects = Split(stored.RedirectUris);
            if (stored.IsPublic)
                return new RegisteredClient(clientId, Split(stored.Scopes), null, null, redirects);
            if (stored.HasKeys)
            {
                var keys = new ClientOptions { ClientId = clientId, Scopes = stored.Scopes, Jwks = stored.Jwks, JwksUrl = stored.JwksUrl };
                return new RegisteredClient(clientId, Split(stored.Scopes), null, c => ClientKeys.ForAsync(keys, c), redirects);
            }
            return new RegisteredClient(clientId, Split(stored.Scopes), given => SecretHash.Matches(given, stored.SecretHash), null, redirects);
        }
        return null;
    }

    static IReadOnlyList<string> Split(string? text) => (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
