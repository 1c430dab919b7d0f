using System.Security.Claims;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Auth;

/// <summary>The patient and encounter an EHR launched an app with.</summary>
public sealed record LaunchContext(string? Patient, string? Encounter);

/// <summary>
/// SMART EHR launch: an EHR (any client whose token may read the patient and encounter it names) asks
/// <c>POST /auth/launch</c> for a <c>launch</c> value and opens the app with it; the app's authorisation request sends it back
/// with scope <c>launch</c>, and the token response names the patient and encounter. The value is self-contained, as
/// OpenIddict's codes are: the context signed with the server's key and encrypted with its own key (so opaque to the app),
/// valid for <see cref="Lifetime"/>. No row is kept, so every api process reads it, and an unknown, altered or expired
/// value is an OAuth invalid_request.
/// </summary>
public sealed class LaunchContexts(AuthKeys keys, IOptions<AuthOptions> options)
{
    public const string LaunchPath = "/auth/launch";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    readonly JsonWebTokenHandler _handler = new();

    public string Create(HttpRequest request, LaunchContext context)
    {
        var baseUrl = AuthUrls.BaseUrl(request, options.Value);
        var claims = new Dictionary<string, object>();
        if (context.Patient is { } patient)
            claims[PatientCompartment.PatientClaim] = patient;
        if (context.Encounter is { } encounter)
            claims[Authorization.EncounterClaim] = encounter;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = baseUrl,
            Audience = baseUrl + LaunchPath,
            Expires = DateTime.UtcNow + Lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(keys.Signing, SecurityAlgorithms.RsaSha256),
            EncryptingCredentials = new EncryptingCredentials(keys.Encryption, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512),
        });
    }

    /// <summary>The context of a launch value this server made and that has not expired; null for any other.</summary>
    public async Task<LaunchContext?> ReadAsync(HttpRequest request, string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 4096)
            return null;
        var baseUrl = AuthUrls.BaseUrl(request, options.Value);
        var result = await _handler.ValidateTokenAsync(value, new TokenValidationParameters
        {
            ValidIssuer = baseUrl,
            ValidAudience = baseUrl + LaunchPath,
            IssuerSigningKey = keys.Signing,
            TokenDecryptionKey = keys.Encryption,
            ClockSkew = TimeSpan.Zero,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token || token.InnerToken is null)
            return null;
        string? Claim(string type) => result.ClaimsIdentity.FindFirst(type)?.Value;
        return new LaunchContext(Claim(PatientCompartment.PatientClaim), Claim(Authorization.EncounterClaim));
    }

    /// <summary>POST /auth/launch (form: patient and/or encounter ids) → <c>{"launch": "...", "expires_in": 300}</c>.</summary>
    internal static async Task<IResult> CreateAsync(HttpContext http, LaunchContexts launches, IResourceStore store, ScopePolicy scopes)
    {
        if (!http.Request.HasFormContentType)
            throw FhirException.BadRequest("Send patient and/or encounter as an application/x-www-form-urlencoded form.");
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        string? Id(string name) => form[name].FirstOrDefault() is { Length: > 0 } value ? value.Split('/').Last() : null;
        var patient = Id("patient");
        var encounter = Id("encounter");
        if (patient is null && encounter is null)
            throw FhirException.BadRequest("A launch needs a patient, an encounter or both.");
        foreach (var (type, id) in new[] { ("Patient", patient), ("Encounter", encounter) })
        {
            if (id is null)
                continue;
            scopes.Demand(http, type, SmartPermission.Read);
            if (await store.ReadAsync(type, id, http.RequestAborted) is not { IsDeleted: false })
            {
                throw new FhirException(StatusCodes.Status422UnprocessableEntity,
                    Outcomes.Error(OperationOutcome.IssueType.NotFound, $"There is no {type}/{id} to launch with."));
            }
        }
        var value = launches.Create(http.Request, new LaunchContext(patient, encounter));
        return Results.Json(new Dictionary<string, object> { ["launch"] = value, ["expires_in"] = (int)Lifetime.TotalSeconds });
    }
}
