using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// JwtBearer's token handler with a bounded memory of tokens it has already found valid, so that a client sending the same
/// token on every request pays for the signature check and the claims once. An entry is keyed by the token's SHA-256 and
/// the FHIR base URL it was checked against (the audience and the built-in issuer depend on it), lives until the token
/// expires, and is used only after the library's own lifetime rule passes again for this instant. Only valid results are kept:
/// a refused token is checked in full every time.
/// </summary>
public sealed class ValidatedTokens(int capacity, Func<string?> baseUrl) : JsonWebTokenHandler
{
    readonly MemoryCache _valid = new(new MemoryCacheOptions { SizeLimit = capacity });

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var key = Key(token);
        if (_valid.TryGetValue(key, out TokenValidationResult? known) && known!.SecurityToken is JsonWebToken jwt)
        {
            try
            {
                Validators.ValidateLifetime(NotBefore(jwt), jwt.ValidTo, jwt, validationParameters);
                return new TokenValidationResult
                {
                    IsValid = true,
                    // A copy: each request's principal is its own, whatever a later step adds to it.
                    ClaimsIdentity = known.ClaimsIdentity.Clone(),
                    SecurityToken = jwt,
                    Issuer = known.Issuer,
                    TokenType = known.TokenType,
                };
            }
            catch (SecurityTokenException)
            {
                _valid.Remove(key);
                // Fall through: the full check gives the failure its usual shape (expired, not yet valid).
            }
        }
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken valid)
        {
            _valid.Set(key, result, new MemoryCacheEntryOptions
            {
                Size = 1,
                AbsoluteExpiration = new DateTimeOffset(valid.ValidTo, TimeSpan.Zero) + validationParameters.ClockSkew,
            });
        }
        return result;
    }

    static DateTime? NotBefore(JsonWebToken jwt) => jwt.ValidFrom == DateTime.MinValue ? null : jwt.ValidFrom;

    string Key(string token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), hash);
        return Convert.ToBase64String(hash) + " " + baseUrl();
    }
}
