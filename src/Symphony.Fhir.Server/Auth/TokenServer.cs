using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using Microsoft.AspNetCore;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// The built-in authorisation server: OpenIddict issues and signs the tokens, publishes the keys and speaks the protocol;
/// these handlers supply what it would otherwise read from its own database (clients from <see cref="ClientRegistry"/>,
/// client assertion keys, SMART scopes, redirect URIs). OpenIddict runs in its stateless ("degraded") mode: clients come from
/// configuration and the database, codes and refresh tokens are self-contained (encrypted), and what must be remembered —
/// that a code or refresh token was spent — is one row in auth_assertion (<see cref="AuthStore.UseTokenAsync"/>).
/// </summary>
public static class TokenServer
{
    public const string TokenPath = "/auth/token";
    public const string AuthorizePath = "/auth/authorize";
    public const string JwksPath = "/auth/jwks";

    /// <summary>Algorithms SMART Backend Services asks servers to accept for client assertions.</summary>
    public static readonly string[] AssertionAlgorithms = [SecurityAlgorithms.RsaSha384, SecurityAlgorithms.EcdsaSha384];

    const string ClientAuthenticationType = "client-authentication+jwt";

    /// <summary>A client assertion may be valid for at most this long (SMART Backend Services).</summary>
    public static readonly TimeSpan MaxAssertionLifetime = TimeSpan.FromMinutes(5);

    public static void Add(IServiceCollection services, AuthOptions auth)
    {
        services.AddOpenIddict().AddServer(options =>
        {
            options.EnableDegradedMode();
            options.SetTokenEndpointUris(TokenPath.TrimStart('/'))
                .SetAuthorizationEndpointUris(AuthorizePath.TrimStart('/'))
                .SetJsonWebKeySetEndpointUris(JwksPath.TrimStart('/'))
                .SetConfigurationEndpointUris(".well-known/openid-configuration");
            options.AllowClientCredentialsFlow().AllowAuthorizationCodeFlow().AllowRefreshTokenFlow();
            options.RequireProofKeyForCodeExchange();
            // Codes are exchanged at once by the app the browser returns to.
            options.SetAuthorizationCodeLifetime(TimeSpan.FromMinutes(2));
            // JWT access tokens that any resource server or tool can read and check against the published keys.
            options.DisableAccessTokenEncryption();
            options.SetAccessTokenLifetime(auth.TokenLifetime);
            if (auth.BaseUrl is { Length: > 0 } baseUrl)
                options.SetIssuer(new Uri(baseUrl));
            // SMART scopes are checked against each client's registration below, not against a fixed list.
            options.RemoveEventHandler(OpenIddictServerHandlers.Exchange.ValidateScopes.Descriptor);
            options.RemoveEventHandler(OpenIddictServerHandlers.Authentication.ValidateScopes.Descriptor);
            options.AddEventHandler<ValidateAuthorizationRequestContext>(b => b.UseScopedHandler<Authorization.ValidateRequest>()
                .SetOrder(OpenIddictServerHandlers.Authentication.ValidateRedirectUriParameter.Descriptor.Order + 1)
                .SetType(OpenIddictServerHandlerType.Custom));
            options.AddEventHandler<ValidateTokenContext>(b => b.UseScopedHandler<ResolveClientAssertionKeys>()
                .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 500)
                .SetType(OpenIddictServerHandlerType.Custom));
            options.AddEventHandler<ValidateTokenRequestContext>(b => b.UseScopedHandler<AuthenticateClient>()
                .SetOrder(OpenIddictServerHandlers.Exchange.ValidateAuthentication.Descriptor.Order + 500)
                .SetType(OpenIddictServerHandlerType.Custom));
            options.AddEventHandler<HandleTokenRequestContext>(b => b.UseScopedHandler<IssueAccessToken>()
                .SetType(OpenIddictServerHandlerType.Custom));
            // TLS is the deployment's (a proxy in front, or Kestrel's own certificate); the loopback walk-through is http.
            options.UseAspNetCore().DisableTransportSecurityRequirement().EnableAuthorizationEndpointPassthrough();
        });
        services.AddOptions<OpenIddictServerOptions>().Configure<AuthKeys>((options, keys) =>
        {
            options.SigningCredentials.Add(new SigningCredentials(keys.Signing, SecurityAlgorithms.RsaSha256));
            options.EncryptionCredentials.Add(new EncryptingCredentials(keys.Encryption, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        });
    }

    /// <summary>Gives OpenIddict the public keys of the client that signed an assertion (in its stateless mode it has no application store to ask).</summary>
    public sealed class ResolveClientAssertionKeys(ClientRegistry clients, IOptions<AuthOptions> options) : IOpenIddictServerHandler<ValidateTokenContext>
    {
        public async ValueTask HandleAsync(ValidateTokenContext context)
        {
            if (context.ValidTokenTypes.Count != 1 || !context.ValidTokenTypes.Contains(TokenTypeIdentifiers.Private.ClientAssertion))
                return;
            var issuer = ReadIssuer(context.Token);
            var client = await clients.FindAsync(issuer, context.Transaction.CancellationToken);
            context.TokenValidationParameters.IssuerSigningKeys = client?.Keys is { } keys ? await keys(context.Transaction.CancellationToken) : [];
            context.TokenValidationParameters.ValidAlgorithms = AssertionAlgorithms;
            // SMART Backend Services clients name the token endpoint as the audience; OpenIddict expects the issuer.
            context.ValidAudiences.Add(AuthUrls.BaseUrl(context.Transaction.GetHttpRequest()!, options.Value) + TokenPath);
            // Clients write "JWT" or no typ at all (SMART's examples do), which OpenIddict would read as another kind of
            // token; the newer "client-authentication+jwt" is what it reads as an assertion.
            context.TokenValidationParameters.ValidTypes = null;
            context.TokenValidationParameters.TypeValidator = (type, _, _) => type is null or JwtConstants.HeaderType or ClientAuthenticationType
                ? ClientAuthenticationType
                : throw new SecurityTokenInvalidTypeException($"A client assertion is not of type {type}.");
        }

        static string? ReadIssuer(string token)
        {
            try
            {
                return new JsonWebToken(token).Issuer;
            }
            catch (ArgumentException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// After OpenIddict has read the request and checked any client assertion's signature, audience and expiry: the client
    /// is known, its secret or assertion is right (an assertion lives at most 5 minutes and its jti is used once), and it
    /// asks only for scopes it is registered for.
    /// </summary>
    public sealed class AuthenticateClient(ClientRegistry clients, AuthStore store, IOptions<AuthOptions> options) : IOpenIddictServerHandler<ValidateTokenRequestContext>
    {
        public async ValueTask HandleAsync(ValidateTokenRequestContext context)
        {
            var ct = context.Transaction.CancellationToken;
            var assertion = context.Request.ClientAssertion is { Length: > 0 } raw ? new JsonWebToken(raw) : null;
            var clientId = context.ClientId ?? assertion?.Subject;
            var client = await clients.FindAsync(clientId, ct);
            if (client is null)
            {
                context.Reject(Errors.InvalidClient, "The client is not registered.");
                return;
            }
            if (client.IsPublic)
            {
                // A public client proves nothing: it redeems a code (bound to its PKCE verifier) or a refresh token, no more.
                if (!context.Request.IsAuthorizationCodeGrantType() && !context.Request.IsRefreshTokenGrantType())
                {
                    context.Reject(Errors.UnauthorizedClient, "A public client gets tokens through the authorization code flow only.");
                    return;
                }
                if (assertion is not null || context.ClientSecret is { Length: > 0 })
                {
                    context.Reject(Errors.InvalidClient, "The client is public: it has no secret or keys.");
                    return;
                }
            }
            else if (assertion is not null)
            {
                if (client.Keys is null || assertion.Issuer != client.ClientId || assertion.Subject != client.ClientId)
                {
                    context.Reject(Errors.InvalidClient, "The client assertion does not identify a client registered with keys.");
                    return;
                }
                var baseUrl = AuthUrls.BaseUrl(context.Transaction.GetHttpRequest()!, options.Value);
                if (!assertion.Audiences.Any(a => a == baseUrl + TokenPath || a.TrimEnd('/') == baseUrl))
                {
                    context.Reject(Errors.InvalidClient, "The client assertion's audience must be this server's token endpoint.");
                    return;
                }
                var issued = assertion.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Iat, out var iat)
                    ? DateTimeOffset.FromUnixTimeSeconds(iat) : DateTimeOffset.UtcNow;
                if (assertion.ValidTo - issued.UtcDateTime > MaxAssertionLifetime || assertion.ValidTo < DateTime.UtcNow)
                {
                    context.Reject(Errors.InvalidClient, "The client assertion must expire within 5 minutes of being issued.");
                    return;
                }
                if (string.IsNullOrEmpty(assertion.Id) || !await store.UseAssertionAsync(client.ClientId, assertion.Id, assertion.ValidTo, ct))
                {
                    context.Reject(Errors.InvalidClient, "The client assertion has no jti or was used before.");
                    return;
                }
            }
            else if (client.CheckSecret is null || context.ClientSecret is not { Length: > 0 } secret || !client.CheckSecret(secret))
            {
                context.Reject(Errors.InvalidClient, "The client credentials are not valid.");
                return;
            }
            var requested = context.Request.GetScopes();
            if (requested.FirstOrDefault(scope => !SmartScope.IsWithin(scope, client.Scopes)) is { } refused)
            {
                context.Reject(Errors.InvalidScope, $"The client may not ask for '{refused}'.");
                return;
            }
            context.Transaction.SetProperty(nameof(RegisteredClient), client);
        }
    }

    /// <summary>
    /// An authorisation code or refresh token: spent once (a second use is invalid_grant), then the tokens of the user's
    /// sign-in it carries, with its SMART launch context in the response. Client credentials: the client as subject, the
    /// scopes asked for (all it is registered for when none), the FHIR base URL as audience.
    /// </summary>
    public sealed class IssueAccessToken(IOptions<AuthOptions> options, AuthStore store, LoginUsers users) : IOpenIddictServerHandler<HandleTokenRequestContext>
    {
        public async ValueTask HandleAsync(HandleTokenRequestContext context)
        {
            if (context.Transaction.GetProperty<RegisteredClient>(nameof(RegisteredClient)) is not { } client)
                return;
            var (grant, spent) = context.Request.IsAuthorizationCodeGrantType() ? (context.AuthorizationCodePrincipal, context.Request.Code)
                : context.Request.IsRefreshTokenGrantType() ? (context.RefreshTokenPrincipal, context.Request.RefreshToken)
                : (null, null);
            if (grant is not null && spent is not null)
            {
                var expires = grant.GetExpirationDate() ?? DateTimeOffset.UtcNow.AddDays(30);
                if (!await store.UseTokenAsync(spent, expires, context.Transaction.CancellationToken))
                {
                    context.Reject(Errors.InvalidGrant, "The authorization code or refresh token has already been used.");
                    return;
                }
                // A user removed (from configuration or by symphony auth user remove) gets no new tokens from an old refresh token.
                if (await users.FindAsync(grant.GetClaim(Claims.Subject), context.Transaction.CancellationToken) is null)
                {
                    context.Reject(Errors.InvalidGrant, "The user of this sign-in is no longer registered.");
                    return;
                }
                context.SignIn(grant, Authorization.ContextParameters(grant));
                return;
            }
            var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, client.ClientId);
            var requested = context.Request.GetScopes();
            identity.SetScopes(requested.IsEmpty ? client.Scopes : requested);
            identity.SetAudiences(AuthUrls.BaseUrl(context.Transaction.GetHttpRequest()!, options.Value));
            identity.SetPresenters(client.ClientId);
            identity.SetDestinations(_ => [Destinations.AccessToken]);
            context.SignIn(new ClaimsPrincipal(identity));
        }
    }
}
