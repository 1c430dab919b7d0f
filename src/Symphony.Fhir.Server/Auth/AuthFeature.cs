using System.Text.Json;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Symphony.Fhir.Server.Fhir;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// SMART on FHIR: every route but discovery and health needs a bearer token (JWT) whose signature, issuer, audience (the
/// FHIR base URL) and lifetime check out — issued by the built-in server (<see cref="TokenServer"/>) or by
/// <c>Auth:Authority</c> — and <see cref="ScopePolicy"/> decides what its scopes allow. <c>Auth:Mode=none</c> checks nothing.
/// </summary>
public static class AuthFeature
{
    public const string SmartConfigurationPath = "/.well-known/smart-configuration";

    public static WebApplicationBuilder AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        // Not a log line per token request (OpenIddict's are informational, and redact secrets and tokens).
        builder.Logging.AddFilter("OpenIddict", LogLevel.Warning);
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidation>();
        // Registrations depend on the mode, so it is read here once, from the same configuration the options bind.
        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.AddSingleton<ScopePolicy>();
        builder.Services.AddHttpContextAccessor();
        var authentication = builder.Services.AddAuthentication(auth.Mode == AuthMode.None ? "" : JwtBearerDefaults.AuthenticationScheme);
        builder.Services.AddAuthorization(options =>
        {
            if (auth.Mode != AuthMode.None)
                options.FallbackPolicy = new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build();
        });
        if (auth.Mode == AuthMode.None)
            return builder;

        authentication.AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IServiceProvider, IOptions<AuthOptions>>((jwt, services, options) => ConfigureBearer(jwt, services, options.Value));
        if (auth.UsesBuiltInServer)
        {
            builder.Services.AddSingleton<AuthStore>();
            builder.Services.AddSingleton<AuthKeys>();
            builder.Services.AddSingleton<ClientRegistry>();
            builder.Services.AddSingleton<LoginUsers>();
            builder.Services.AddSingleton<LaunchContexts>();
            builder.Services.AddSingleton(TimeProvider.System);
            LoginPages.AddLoginCookie(authentication, builder.Services);
            TokenServer.Add(builder.Services, auth);
            if (builder.ServerOptions().RunsApi)
                builder.Services.AddHostedService<AdminClient>();
        }
        return builder;
    }

    public static WebApplication MapAuth(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        if (options.Mode == AuthMode.None)
        {
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthFeature)).LogWarning(
                "Auth:Mode is none: no request is authenticated or authorised. Run this only behind a gateway that does both.");
        }
        app.MapGet(SmartConfigurationPath, SmartConfigurationAsync).AllowAnonymous();
        if (options.UsesBuiltInServer)
        {
            app.MapMethods(TokenServer.AuthorizePath, [HttpMethods.Get, HttpMethods.Post], Authorization.AuthorizeAsync).AllowAnonymous().ExcludeFromDescription();
            app.MapGet(LoginPages.LoginPath, (HttpContext http, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, string? returnUrl) =>
                LoginPages.LoginForm(http, antiforgery, returnUrl)).AllowAnonymous();
            app.MapPost(LoginPages.LoginPath, LoginPages.LoginAsync).AllowAnonymous();
            app.MapPost(LaunchContexts.LaunchPath, LaunchContexts.CreateAsync);
        }
        return app;
    }

    static void ConfigureBearer(JwtBearerOptions jwt, IServiceProvider services, AuthOptions options)
    {
        var accessor = services.GetRequiredService<IHttpContextAccessor>();
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromMinutes(1),
            // The FHIR base URL, the one the request came to unless Auth:BaseUrl names it.
            AudienceValidator = (audiences, _, _) => accessor.HttpContext is { } http
                && audiences.Any(a => a.TrimEnd('/') == AuthUrls.BaseUrl(http.Request, options)),
        };
        if (options.UsesBuiltInServer)
        {
            var keys = services.GetRequiredService<AuthKeys>();
            jwt.TokenValidationParameters.IssuerSigningKeyResolver = (_, _, _, _) => [keys.Signing];
            jwt.TokenValidationParameters.IssuerValidator = (issuer, _, _) => accessor.HttpContext is { } http && AuthUrls.IsBuiltInIssuer(issuer, http.Request, options)
                ? issuer
                : throw new SecurityTokenInvalidIssuerException("The token was not issued by this server.");
        }
        else
        {
            jwt.Authority = options.Authority;
            jwt.RequireHttpsMetadata = options.Authority!.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
        }
        jwt.Events = new JwtBearerEvents
        {
            OnChallenge = async context =>
            {
                context.HandleResponse();
                var invalid = context.AuthenticateFailure is not null;
                context.Response.Headers.WWWAuthenticate = invalid
                    ? "Bearer error=\"invalid_token\", error_description=\"The access token is not valid (signature, issuer, audience or lifetime).\""
                    : "Bearer";
                var message = invalid
                    ? "The access token is not valid: its signature, issuer, audience (this server's FHIR base URL) or lifetime does not check out."
                    : $"This request needs an access token (Authorization: Bearer); get one at {TokenServer.TokenPath} or from the issuer in {SmartConfigurationPath}.";
                await FhirResult.Outcome(StatusCodes.Status401Unauthorized, Outcomes.Error(OperationOutcome.IssueType.Login, message)).ExecuteAsync(context.HttpContext);
            },
        };
    }

    /// <summary>SMART's discovery document: only the endpoints, methods and capabilities that work on this server.</summary>
    static async Task<IResult> SmartConfigurationAsync(HttpContext context, IOptions<AuthOptions> auth, IOptionsMonitor<JwtBearerOptions> bearer)
    {
        var options = auth.Value;
        if (options.Mode == AuthMode.None)
            throw FhirException.NotFound("Auth:Mode is none: this server checks no tokens and has no authorisation server.");
        var document = new Dictionary<string, object>();
        if (options.UsesBuiltInServer)
        {
            var baseUrl = AuthUrls.BaseUrl(context.Request, options);
            document["issuer"] = baseUrl + "/";
            document["jwks_uri"] = baseUrl + TokenServer.JwksPath;
            document["token_endpoint"] = baseUrl + TokenServer.TokenPath;
            document["authorization_endpoint"] = baseUrl + TokenServer.AuthorizePath;
            document["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post", "private_key_jwt", "none" };
            document["token_endpoint_auth_signing_alg_values_supported"] = TokenServer.AssertionAlgorithms;
            document["grant_types_supported"] = new[] { "authorization_code", "client_credentials", "refresh_token" };
            document["scopes_supported"] = new[]
            {
                "openid", "fhirUser", "launch", "launch/patient", "offline_access",
                "system/*.cruds", "system/*.rs", "system/*.read", "system/*.write", "user/*.cruds", "user/*.rs", "patient/*.rs", "patient/*.read",
            };
            document["response_types_supported"] = new[] { "code" };
            document["code_challenge_methods_supported"] = new[] { "S256" };
            document["launch_endpoint"] = baseUrl + LaunchContexts.LaunchPath;
            document["capabilities"] = SmartCapabilities;
        }
        else
        {
            var jwt = bearer.Get(JwtBearerDefaults.AuthenticationScheme);
            var external = await jwt.ConfigurationManager!.GetConfigurationAsync(context.RequestAborted);
            document["issuer"] = external.Issuer;
            document["jwks_uri"] = external.JwksUri;
            document["token_endpoint"] = external.TokenEndpoint;
            if (external.AuthorizationEndpoint is { Length: > 0 } authorize)
                document["authorization_endpoint"] = authorize;
            document["token_endpoint_auth_methods_supported"] = external.TokenEndpointAuthMethodsSupported;
            document["grant_types_supported"] = external.GrantTypesSupported;
            document["scopes_supported"] = external.ScopesSupported;
            document["code_challenge_methods_supported"] = external.CodeChallengeMethodsSupported;
            document["capabilities"] = new[] { "permission-v1", "permission-v2" };
        }
        return Results.Json(document, JsonOptions, "application/json");
    }

    /// <summary>What the built-in server does, each shown by a test (docs/auth.md, SMART App Launch).</summary>
    public static readonly string[] SmartCapabilities =
    [
        "launch-standalone", "launch-ehr", "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
        "context-standalone-patient", "context-ehr-patient", "context-ehr-encounter", "sso-openid-connect",
        "permission-offline", "permission-patient", "permission-user", "permission-v1", "permission-v2",
    ];

    static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>
    /// The CapabilityStatement's rest.security for this request: the SMART service coding and the OAuth URIs extension, or, with
    /// Auth:Mode=none, a description saying that nothing is checked.
    /// </summary>
    public static CapabilityStatement WithSecurity(CapabilityStatement capabilities, HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        var statement = (CapabilityStatement)capabilities.DeepCopy();
        var security = new CapabilityStatement.SecurityComponent();
        if (options.Mode == AuthMode.None)
        {
            security.Description = "Auth:Mode is none: this server authenticates and authorises no request (it must run behind a gateway that does).";
        }
        else
        {
            security.Cors = false;
            security.Service.Add(new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR"));
            security.Description = "SMART on FHIR v2: Bearer tokens (JWT) on every request but /metadata and discovery; scopes as in docs/auth.md.";
            if (options.UsesBuiltInServer)
            {
                var baseUrl = AuthUrls.BaseUrl(context.Request, options);
                security.Extension.Add(new Extension
                {
                    Url = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    Extension =
                    [
                        new Extension("token", new FhirUri(baseUrl + TokenServer.TokenPath)),
                        new Extension("authorize", new FhirUri(baseUrl + TokenServer.AuthorizePath)),
                    ],
                });
            }
        }
        statement.Rest[0].Security = security;
        return statement;
    }
}
