using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// SMART App Launch on the built-in server: the authorisation endpoint (OpenIddict checks the protocol, then passes the
/// request here) signs the user in through the login page, picks the patient for <c>launch/patient</c> or takes the EHR's
/// launch context, and grants what the client, the user and the request all allow (<see cref="SmartScope.Grant"/>). The
/// code OpenIddict then issues carries the whole sign-in; the token endpoint spends it once (<see cref="TokenServer.IssueAccessToken"/>).
/// </summary>
public static class Authorization
{
    public const string FhirUserClaim = "fhirUser";
    public const string EncounterClaim = "encounter";

    /// <summary>Form fields of the patient picker, which posts back to the authorisation endpoint with the request's own parameters.</summary>
    public const string ChosenPatientField = "launch_patient";
    public const string PatientFilterField = "patient_filter";

    const int PickerPageSize = 50;
    const int PickerScanLimit = 2_000;

    /// <summary>
    /// Before OpenIddict goes on: the client is registered, the redirect_uri is one of its own, exactly, PKCE is S256, and
    /// the scopes are within its registration. OpenIddict answers a request refused here with an error page, never a
    /// redirect; errors after it (an unknown launch) go back to the app's redirect_uri.
    /// </summary>
    public sealed class ValidateRequest(ClientRegistry clients) : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
    {
        public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
        {
            var client = await clients.FindAsync(context.ClientId, context.Transaction.CancellationToken);
            if (client is null)
            {
                context.Reject(Errors.InvalidClient, "The client is not registered.");
                return;
            }
            if (!client.AllowsRedirect(context.Request.RedirectUri))
            {
                context.Reject(Errors.InvalidRequest, "The redirect_uri is not one registered for this client.");
                return;
            }
            context.SetRedirectUri(context.Request.RedirectUri!);
            if (context.Request.CodeChallenge is not { Length: > 0 } || context.Request.CodeChallengeMethod != CodeChallengeMethods.Sha256)
            {
                context.Reject(Errors.InvalidRequest, "PKCE is required: send a code_challenge with code_challenge_method S256.");
                return;
            }
            if (context.Request.GetScopes().FirstOrDefault(scope => !SmartScope.IsWithin(scope, client.Scopes)) is { } refused)
                context.Reject(Errors.InvalidScope, $"The client may not ask for '{refused}'.");
        }
    }

    /// <summary>The SMART launch context parameters of a token response: the patient and encounter of the sign-in.</summary>
    public static Dictionary<string, OpenIddictParameter> ContextParameters(ClaimsPrincipal principal)
    {
        var parameters = new Dictionary<string, OpenIddictParameter>();
        foreach (var name in new[] { PatientCompartment.PatientClaim, EncounterClaim })
        {
            if (principal.GetClaim(name) is { Length: > 0 } value)
                parameters[name] = value;
        }
        return parameters;
    }

    /// <summary>GET or POST /auth/authorize, after OpenIddict has validated the request.</summary>
    internal static async Task<IResult> AuthorizeAsync(
        HttpContext http, LoginUsers users, ClientRegistry clients, LaunchContexts launches, IResourceStore store,
        IAntiforgery antiforgery, IOptions<AuthOptions> options)
    {
        var ct = http.RequestAborted;
        var request = http.GetOpenIddictServerRequest() ?? throw FhirException.BadRequest("This is not an OAuth authorization request.");
        var parameters = RequestParameters(http);
        var launched = request.GetParameter("launch") is { } launch ? await launches.ReadAsync(http.Request, (string?)launch) : null;
        if (launched is null && request.GetParameter("launch") is not null)
            return Refuse(Errors.InvalidRequest, "The launch value is unknown or has expired.");
        var login = await http.AuthenticateAsync(LoginPages.Scheme);
        var user = login.Succeeded ? await users.FindAsync(login.Principal?.Identity?.Name, ct) : null;
        if (user is null)
            return Results.Redirect($"{LoginPages.LoginPath}?returnUrl={Uri.EscapeDataString(UrlWith(TokenServer.AuthorizePath, parameters))}");

        var client = await clients.FindAsync(request.ClientId, ct) ?? throw FhirException.BadRequest("The client is not registered.");
        var granted = SmartScope.Grant(request.GetScopes(), client.Scopes, user.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (!granted.Contains("launch"))
            launched = null;
        var patient = launched?.Patient;
        if (patient is null && granted.Contains("launch/patient"))
        {
            if (user.FhirUser.StartsWith("Patient/", StringComparison.Ordinal))
            {
                patient = user.FhirUser["Patient/".Length..];
            }
            else
            {
                var chosen = http.Request.HasFormContentType ? http.Request.Form[ChosenPatientField].FirstOrDefault() : null;
                if (chosen is { Length: > 0 } && MayPickPatients(user))
                {
                    if (!await antiforgery.IsRequestValidAsync(http))
                        return LoginPages.Page("Choose a patient", "<p role=\"alert\">The page expired. Go back to the app and start again.</p>", StatusCodes.Status400BadRequest);
                    if (await store.ReadAsync("Patient", chosen, ct) is { IsDeleted: false })
                        patient = chosen;
                }
                if (patient is null)
                    return await PatientPickerAsync(http, user, store, antiforgery, parameters);
            }
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.UserName).SetClaim(Claims.Name, user.UserName).SetClaim(FhirUserClaim, user.FhirUser);
        if (patient is not null)
            identity.SetClaim(PatientCompartment.PatientClaim, patient);
        if (launched?.Encounter is { } encounter)
            identity.SetClaim(EncounterClaim, encounter);
        identity.SetScopes(granted);
        identity.SetAudiences(AuthUrls.BaseUrl(http.Request, options.Value));
        identity.SetPresenters(client.ClientId);
        identity.SetDestinations(claim => claim.Type is Claims.Subject or Claims.Name or FhirUserClaim
            ? [Destinations.AccessToken, Destinations.IdentityToken]
            : [Destinations.AccessToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>An OAuth error sent back to the app's redirect_uri (OpenIddict writes it).</summary>
    static IResult Refuse(string error, string description) => Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
    {
        [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
        [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
    }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    /// <summary>A user who is not a patient picks one only where their own scopes let them search patients.</summary>
    static bool MayPickPatients(UserOptions user) =>
        SmartScope.ParseAll(user.Scopes).Scopes.Any(s => s.Context == SmartContext.User && s.Covers("Patient", SmartPermission.Search | SmartPermission.Read));

    static async Task<IResult> PatientPickerAsync(HttpContext http, UserOptions user, IResourceStore store, IAntiforgery antiforgery, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        var filter = (http.Request.Query[PatientFilterField].FirstOrDefault() ?? "").Trim();
        var patients = new List<(string Id, string Label)>();
        if (MayPickPatients(user))
        {
            // The store has no string search parameters: the filter is a case-insensitive match on the label, over a bounded scan.
            for (var offset = 0; offset < PickerScanLimit && patients.Count < PickerPageSize; offset += SearchRequest.MaxCount)
            {
                var page = await store.SearchAsync(new SearchQuery("Patient", [], SearchRequest.MaxCount, offset), http.RequestAborted);
                foreach (var match in page.Matches.Where(m => m.Json is not null))
                {
                    var label = LoginPages.PatientLabel(FhirSerialization.ParseStored(match.Json!));
                    if (patients.Count < PickerPageSize && label.Contains(filter, StringComparison.OrdinalIgnoreCase))
                        patients.Add((match.Id, label));
                }
                if (page.Matches.Count < SearchRequest.MaxCount)
                    break;
            }
        }
        var token = antiforgery.GetAndStoreTokens(http);
        return LoginPages.PatientPicker(parameters, filter, patients, token, MayPickPatients(user));
    }

    /// <summary>The authorisation request's own parameters (query or form), without the picker's fields.</summary>
    static IReadOnlyList<KeyValuePair<string, string>> RequestParameters(HttpContext http)
    {
        IEnumerable<KeyValuePair<string, StringValues>> source = http.Request.HasFormContentType ? http.Request.Form : http.Request.Query;
        return source.Where(p => p.Key is not (ChosenPatientField or PatientFilterField) && p.Key != LoginPages.AntiforgeryField)
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))).ToList();
    }

    static string UrlWith(string path, IEnumerable<KeyValuePair<string, string>> parameters) =>
        path + "?" + string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
}
