using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// The built-in server's keys, kept in the database (<see cref="AuthStore"/>): an RSA key that signs access tokens (its
/// public half is published at the JWKS endpoint) and a symmetric key for what the server encrypts for itself. Made by
/// the first process that needs them and shared by every process after it, so tokens survive restarts.
/// </summary>
public sealed class AuthKeys(AuthStore store)
{
    const string SigningName = "signing-rsa";
    const string EncryptionName = "encryption-aes";

    readonly Lazy<(RsaSecurityKey Signing, SymmetricSecurityKey Encryption)> _keys = new(() => Task.Run(async () =>
    {
        var signing = RSA.Create();
        signing.ImportPkcs8PrivateKey(Convert.FromBase64String(
            await store.SecretAsync(SigningName, () => Convert.ToBase64String(RSA.Create(2048).ExportPkcs8PrivateKey()))), out _);
        var encryption = Convert.FromBase64String(
            await store.SecretAsync(EncryptionName, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
        var key = new RsaSecurityKey(signing);
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return (key, new SymmetricSecurityKey(encryption));
    }).GetAwaiter().GetResult(), LazyThreadSafetyMode.PublicationOnly); // a database down at the first use is not remembered: the next use tries again

    public RsaSecurityKey Signing => _keys.Value.Signing;

    public SymmetricSecurityKey Encryption => _keys.Value.Encryption;
}

/// <summary>The public keys a client signs its assertions with, from an inline JWKS or its JWKS URL (fetched, kept 10 minutes).</summary>
public static class ClientKeys
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeOffset Until, IReadOnlyList<SecurityKey> Keys)> Fetched = new();

    /// <summary>The signing keys of a JWKS document, or null if it is not one with a key.</summary>
    public static IReadOnlyList<SecurityKey>? Parse(string json)
    {
        try
        {
            var keys = new JsonWebKeySet(json).Keys.Where(k => k.Use is null or "sig").Cast<SecurityKey>().ToList();
            return keys.Count > 0 ? keys : null;
        }
        catch (Exception exception) when (exception is ArgumentException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    public static async Task<IReadOnlyList<SecurityKey>> ForAsync(ClientOptions client, CancellationToken ct)
    {
        if (client.Jwks is { Length: > 0 } inline)
            return Parse(inline) ?? [];
        if (client.JwksUrl is not { Length: > 0 } url)
            return [];
        if (Fetched.TryGetValue(url, out var cached) && cached.Until > DateTimeOffset.UtcNow)
            return cached.Keys;
        try
        {
            var keys = Parse(await Http.GetStringAsync(url, ct)) ?? [];
            Fetched[url] = (DateTimeOffset.UtcNow.AddMinutes(10), keys);
            return keys;
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }
}
