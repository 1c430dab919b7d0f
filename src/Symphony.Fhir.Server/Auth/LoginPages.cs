using System.Net;
using System.Security.Claims;
using System.Text;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// The plain, server-rendered pages of the authorisation code flow: the login form and the patient picker. No script;
/// every input has a label; every form that changes something carries an antiforgery token. A signed-in user is
/// remembered by a cookie for <c>/auth</c> only (<see cref="SessionLifetime"/>), so a second app in the same browser
/// skips the form.
/// </summary>
public static class LoginPages
{
    public const string Scheme = "SymphonyLogin";
    public const string LoginPath = "/auth/login";
    public const string AntiforgeryField = "__RequestVerificationToken";
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(30);

    const string WrongCredentials = "The user name or password is not right.";

    public static void AddLoginCookie(AuthenticationBuilder authentication, IServiceCollection services)
    {
        authentication.AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = "symphony.login";
            cookie.Cookie.Path = "/auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = SessionLifetime;
            cookie.SlidingExpiration = false;
            cookie.LoginPath = LoginPath;
        });
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.FormFieldName = AntiforgeryField;
            antiforgery.Cookie.Name = "symphony.antiforgery";
            antiforgery.Cookie.Path = "/auth";
        });
    }

    internal static IResult LoginForm(HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
        Form(http, antiforgery, SafeReturnUrl(returnUrl), null, StatusCodes.Status200OK);

    internal static async Task<IResult> LoginAsync(HttpContext http, IAntiforgery antiforgery, LoginUsers users)
    {
        if (!http.Request.HasFormContentType)
            return Page("Sign in", "<p role=\"alert\">Sign in with the form.</p>", StatusCodes.Status400BadRequest);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var returnUrl = SafeReturnUrl(form["returnUrl"].FirstOrDefault());
        if (!await antiforgery.IsRequestValidAsync(http))
            return Form(http, antiforgery, returnUrl, "The form expired. Please sign in again.", StatusCodes.Status400BadRequest);
        var user = await users.SignInAsync(form["username"].FirstOrDefault(), form["password"].FirstOrDefault(), http.RequestAborted);
        if (user is null)
            return Form(http, antiforgery, returnUrl, WrongCredentials, StatusCodes.Status200OK);
        var identity = new ClaimsIdentity([new System.Security.Claims.Claim(ClaimTypes.Name, user.UserName)], Scheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity));
        return returnUrl is null
            ? Page("Signed in", "<p>You are signed in. Return to the app that sent you here.</p>", StatusCodes.Status200OK)
            : Results.Redirect(returnUrl);
    }

    /// <summary>Only the authorisation endpoint of this server: the form never sends a browser elsewhere.</summary>
    static string? SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl.StartsWith(TokenServer.AuthorizePath + "?", StringComparison.Ordinal) && !returnUrl.Contains('\\')
            ? returnUrl
            : null;

    static IResult Form(HttpContext http, IAntiforgery antiforgery, string? returnUrl, string? message, int status)
    {
        var token = antiforgery.GetAndStoreTokens(http);
        var body = new StringBuilder();
        if (returnUrl is not null && ClientOf(returnUrl) is { } client)
            body.Append($"<p>to continue to <strong>{E(client)}</strong></p>");
        if (message is not null)
            body.Append($"<p role=\"alert\" class=\"error\">{E(message)}</p>");
        body.Append($"""
            <form method="post" action="{LoginPath}">
              <input type="hidden" name="{E(token.FormFieldName)}" value="{E(token.RequestToken)}">
              <input type="hidden" name="returnUrl" value="{E(returnUrl)}">
              <label for="username">User name</label>
              <input id="username" name="username" autocomplete="username" required autofocus>
              <label for="password">Password</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required>
              <button type="submit">Sign in</button>
            </form>
            """);
        return Page("Sign in", body.ToString(), status);
    }

    static string? ClientOf(string returnUrl) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri("http://x" + returnUrl).Query).TryGetValue("client_id", out var id) ? id.FirstOrDefault() : null;

    /// <summary>The list of patients the user may pick, a name filter, and one button per patient.</summary>
    internal static IResult PatientPicker(
        IReadOnlyList<KeyValuePair<string, string>> request, string filter, IReadOnlyList<(string Id, string Label)> patients, AntiforgeryTokenSet token, bool mayPick)
    {
        var hidden = string.Concat(request.Select(p => $"<input type=\"hidden\" name=\"{E(p.Key)}\" value=\"{E(p.Value)}\">"));
        var body = new StringBuilder();
        if (!mayPick)
        {
            body.Append("<p role=\"alert\" class=\"error\">The app asks for a patient, and your account may not search patients. Ask an administrator for user/Patient.rs.</p>");
            return Page("Choose a patient", body.ToString(), StatusCodes.Status403Forbidden);
        }
        body.Append($"""
            <form method="get" action="{TokenServer.AuthorizePath}">
              {hidden}
              <label for="filter">Patient name</label>
              <input id="filter" name="{Authorization.PatientFilterField}" value="{E(filter)}">
              <button type="submit">Filter</button>
            </form>
            """);
        if (patients.Count == 0)
        {
            body.Append("<p>No patient matches.</p>");
            return Page("Choose a patient", body.ToString(), StatusCodes.Status200OK);
        }
        body.Append($"<form method=\"post\" action=\"{TokenServer.AuthorizePath}\">{hidden}<input type=\"hidden\" name=\"{E(token.FormFieldName)}\" value=\"{E(token.RequestToken)}\">");
        body.Append("<fieldset><legend>Patients</legend><ul>");
        foreach (var (id, label) in patients)
            body.Append($"<li><button type=\"submit\" name=\"{Authorization.ChosenPatientField}\" value=\"{E(id)}\">{E(label)}</button></li>");
        body.Append("</ul></fieldset></form>");
        return Page("Choose a patient", body.ToString(), StatusCodes.Status200OK);
    }

    /// <summary>A patient as a person would pick them: name, birth date, id.</summary>
    internal static string PatientLabel(Resource resource)
    {
        if (resource is not Patient patient)
            return resource.Id ?? "";
        var name = patient.Name.FirstOrDefault() is { } human
            ? human.Text ?? string.Join(' ', human.Given.Append(human.Family).Where(p => !string.IsNullOrEmpty(p)))
            : "";
        var parts = new[] { name, patient.BirthDate is { Length: > 0 } born ? $"born {born}" : null, $"Patient/{patient.Id}" };
        return string.Join(", ", parts.Where(p => !string.IsNullOrEmpty(p)));
    }

    internal static IResult Page(string title, string body, int status)
    {
        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{E(title)}} · Symphony.Fhir</title>
            <style>
            body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1b1f24; }
            main { max-width: 26rem; margin: 4rem auto; padding: 2rem; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }
            label { display: block; margin-top: 1rem; font-weight: 600; }
            input:not([type=hidden]) { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; }
            button { margin-top: 1rem; padding: .5rem 1rem; font: inherit; }
            ul { list-style: none; padding: 0; } li button { width: 100%; text-align: left; }
            .error { color: #a40e26; }
            :focus-visible { outline: 3px solid #0969da; }
            </style>
            </head>
            <body><main>
            <h1>{{E(title)}}</h1>
            {{body}}
            </main></body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
