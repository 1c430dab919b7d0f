using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Symphony.Fhir.Server.Auth;

/// <summary>A client the built-in server knows: what it may ask for and how it proves who it is.</summary>
public sealed record RegisteredClient(
    string ClientId,
    IReadOnlyList<string> Scopes,
    Func<string, bool>? CheckSecret,
    Func<CancellationToken, Task<IReadOnlyList<SecurityKey>>>? Keys);

/// <summary>
/// The clients of configuration (<c>Auth:Clients</c>), then those of the database (the admin client the first start made and
/// those <c>symphony auth client add</c> stored), read at each request so that an added or removed client counts at once.
/// </summary>
public sealed class ClientRegistry(IOptions<AuthOptions> options, AuthStore store)
{
    public async Task<RegisteredClient?> FindAsync(string? clientId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(clientId))
            return null;
        if (options.Value.Clients.FirstOrDefault(c => c.ClientId == clientId) is { } configured)
        {
            return new RegisteredClient(configured.ClientId, Split(configured.Scopes),
                configured.Secret is { Length: > 0 } secret ? given => SameSecret(given, secret) : null,
                configured.Secret is { Length: > 0 } ? null : c => ClientKeys.ForAsync(configured, c));
        }
        if (await store.FindClientAsync(clientId, ct) is { } stored)
        {
            if (stored.HasKeys)
            {
                var keys = new ClientOptions { ClientId = clientId, Scopes = stored.Scopes, Jwks = stored.Jwks, JwksUrl = stored.JwksUrl };
                return new RegisteredClient(clientId, Split(stored.Scopes), null, c => ClientKeys.ForAsync(keys, c));
            }
            return new RegisteredClient(clientId, Split(stored.Scopes), given => SecretHash.Matches(given, stored.SecretHash), null);
        }
        return null;
    }

    static IReadOnlyList<string> Split(string scopes) => scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
