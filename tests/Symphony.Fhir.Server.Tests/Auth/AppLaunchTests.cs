using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.Auth;
using Microsoft.IdentityModel.JsonWebTokens;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary>
/// SMART App Launch against the built-in server, driven over HTTP as an app and its user's browser would: authorise,
/// sign in on the login form (with its antiforgery token), pick a patient, exchange the code with the PKCE verifier, read
/// FHIR with the token, refresh it.
/// </summary>
public abstract class AppLaunchTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : AppLaunchFixture
{
    const string DoctorScopes = "openid fhirUser user/*.rs";

    static JsonWebToken AccessToken(JsonElement body) => new(body.GetProperty("access_token").GetString()!);

    [BackendFact]
    public async Task GivenAUserSignsIn_WhenTheCodeIsExchangedWithItsVerifier_ThenTheTokenReadsAsThatUser()
    {
        using var browser = fixture.NewBrowser();
        var body = await browser.LaunchAsync(DoctorScopes, AppLaunchFixture.Doctor);

        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        var access = AccessToken(body);
        Assert.Equal(AppLaunchFixture.DoctorFhirUser, access.GetClaim("fhirUser").Value);
        Assert.Equal(AppLaunchFixture.Doctor, access.Subject);
        Assert.Equal("openid fhirUser user/*.rs", access.GetClaim("scope").Value);
        Assert.Equal(AppLaunchFixture.App, access.GetClaim("client_id").Value);
        var id = new JsonWebToken(body.GetProperty("id_token").GetString()!);
        Assert.Equal(AppLaunchFixture.DoctorFhirUser, id.GetClaim("fhirUser").Value);
        Assert.Contains(AppLaunchFixture.App, id.Audiences);
        Assert.False(body.TryGetProperty("refresh_token", out _)); // no offline_access asked

        using var api = fixture.Factory.Server.CreateClient();
        api.WithToken(access.EncodedToken);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/Patient/{AppLaunchFixture.PatientA}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.DeleteAsync($"/Patient/{AppLaunchFixture.PatientA}")).StatusCode);
    }

    [BackendFact]
    public async Task GivenAUserActs_WhenTheAuditLogIsRead_ThenItsAgentIsTheFhirUser()
    {
        using var browser = fixture.NewBrowser();
        var token = AccessToken(await browser.LaunchAsync(DoctorScopes, AppLaunchFixture.StoredUser)).EncodedToken;
        using var api = fixture.Factory.Server.CreateClient();
        api.WithToken(token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/Observation/{AppLaunchFixture.PatientB}-obs")).StatusCode);

        using var admin = fixture.Factory.CreateClient();
        var found = false;
        for (var i = 0; i < 100 && !found; i++)
        {
            var log = await admin.GetStringAsync($"/AuditEvent?patient=Patient/{AppLaunchFixture.PatientB}&_count=100");
            found = log.Contains("Practitioner/stored-1", StringComparison.Ordinal);
            if (!found)
                await Task.Delay(100);
        }
        Assert.True(found, "no AuditEvent names the user who read the Observation");
    }

    [BackendFact]
    public async Task GivenAWrongVerifier_WhenTheCodeIsExchanged_ThenInvalidGrant()
    {
        using var browser = fixture.NewBrowser();
        var (_, challenge) = Browser.Pkce();
        var code = Browser.CodeOf(await browser.SignInAsync(Browser.AuthorizeUrl(DoctorScopes, challenge), AppLaunchFixture.Doctor));

        var (status, body) = await browser.ExchangeAsync(code, Browser.Pkce().Verifier);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenPlainOrNoPkce_WhenAuthorising_ThenTheRequestIsRefused()
    {
        using var browser = fixture.NewBrowser();
        var (verifier, _) = Browser.Pkce();
        foreach (var url in new[] { Browser.AuthorizeUrl(DoctorScopes, verifier, method: "plain"), Browser.AuthorizeUrl(DoctorScopes, null) })
        {
            var response = await browser.Http.GetAsync(url);
            Assert.Equal("invalid_request", await Browser.ErrorOf(response));
            Assert.DoesNotContain("code=", response.Headers.Location?.Query ?? "");
        }
    }

    [BackendFact]
    public async Task GivenACodeAlreadyExchanged_WhenExchangedAgain_ThenInvalidGrant()
    {
        using var browser = fixture.NewBrowser();
        var (verifier, challenge) = Browser.Pkce();
        var code = Browser.CodeOf(await browser.SignInAsync(Browser.AuthorizeUrl(DoctorScopes, challenge), AppLaunchFixture.Doctor));
        Assert.Equal(HttpStatusCode.OK, (await browser.ExchangeAsync(code, verifier)).Status);

        var (status, body) = await browser.ExchangeAsync(code, verifier);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenARedirectUriNotRegistered_WhenAuthorising_ThenNoRedirectAndNoCode()
    {
        using var browser = fixture.NewBrowser();
        var (_, challenge) = Browser.Pkce();

        var response = await browser.Http.GetAsync(Browser.AuthorizeUrl(DoctorScopes, challenge, redirectUri: "http://app.example/callback/evil"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("invalid_request", await Browser.ErrorOf(response));
    }

    [BackendFact]
    public async Task GivenACodeIssuedForOneRedirectUri_WhenExchangedWithAnother_ThenInvalidGrant()
    {
        using var browser = fixture.NewBrowser();
        var (verifier, challenge) = Browser.Pkce();
        var code = Browser.CodeOf(await browser.SignInAsync(Browser.AuthorizeUrl(DoctorScopes, challenge), AppLaunchFixture.Doctor));

        var (status, body) = await browser.ExchangeAsync(code, verifier, redirectUri: "http://app.example/other");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenAWrongPasswordOrUnknownUser_WhenSigningIn_ThenTheFormAgainWithTheSameMessage()
    {
        using var browser = fixture.NewBrowser();
        var (_, challenge) = Browser.Pkce();
        var url = Browser.AuthorizeUrl(DoctorScopes, challenge);

        var wrongPassword = await browser.SignInAsync(url, AppLaunchFixture.Doctor, "not the password");
        var unknownUser = await browser.SignInAsync(url, "nobody-at-all", AppLaunchFixture.Password);

        foreach (var response in new[] { wrongPassword, unknownUser })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains("The user name or password is not right.", html);
            Assert.Contains("<label for=\"username\">", html);
        }
        // No user enumeration: both answers are the same page but for the form's fresh antiforgery token.
        static string WithoutToken(string html) => System.Text.RegularExpressions.Regex.Replace(html, "name=\"__RequestVerificationToken\" value=\"[^\"]*\"", "");
        Assert.Equal(WithoutToken(await wrongPassword.Content.ReadAsStringAsync()), WithoutToken(await unknownUser.Content.ReadAsStringAsync()));
    }

    [BackendFact]
    public async Task GivenTooManyFailures_WhenTheRightPasswordIsGiven_ThenItIsStillRefused()
    {
        using var browser = fixture.NewBrowser();
        var (_, challenge) = Browser.Pkce();
        var url = Browser.AuthorizeUrl(DoctorScopes, challenge);
        for (var i = 0; i < Server.Auth.LoginUsers.MaxFailures; i++)
            await browser.SignInAsync(url, AppLaunchFixture.LockedOutUser, "wrong " + i);

        var response = await browser.SignInAsync(url, AppLaunchFixture.LockedOutUser);

        Assert.Contains("The user name or password is not right.", await response.Content.ReadAsStringAsync());
        Assert.Null(response.Headers.Location);
    }

    [BackendFact]
    public async Task GivenALoginPostWithoutTheAntiforgeryToken_WhenSubmitted_ThenRefused()
    {
        using var browser = fixture.NewBrowser();
        var response = await browser.Http.PostAsync("/auth/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = AppLaunchFixture.Doctor, ["password"] = AppLaunchFixture.Password, ["returnUrl"] = "/auth/authorize?x=1",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [BackendFact]
    public async Task GivenAUserWithNarrowScopes_WhenTheAppAsksForMore_ThenOnlyWhatBothAllowIsGranted()
    {
        using var browser = fixture.NewBrowser();
        var body = await browser.LaunchAsync("user/*.rs", AppLaunchFixture.NarrowUser);

        Assert.Equal("user/Observation.rs", AccessToken(body).GetClaim("scope").Value);
        using var api = fixture.Factory.Server.CreateClient();
        api.WithToken(AccessToken(body).EncodedToken);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/Observation/{AppLaunchFixture.PatientA}-obs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync($"/Patient/{AppLaunchFixture.PatientA}")).StatusCode);
    }

    [BackendFact]
    public async Task GivenAStandaloneLaunch_WhenTheUserPicksAPatient_ThenTheTokenIsLimitedToThatPatient()
    {
        using var browser = fixture.NewBrowser();
        var (verifier, challenge) = Browser.Pkce();
        var picker = await browser.SignInAsync(Browser.AuthorizeUrl("launch/patient patient/*.rs", challenge), AppLaunchFixture.Doctor);
        var page = await picker.Content.ReadAsStringAsync();
        Assert.Contains("Choose a patient", page);
        Assert.Contains("Ann Alpha", page);
        Assert.Contains("Bob Beta", page);
        var filtered = await browser.Http.GetStringAsync(browser.Http.BaseAddress + picker.RequestMessage!.RequestUri!.PathAndQuery.TrimStart('/') + "&patient_filter=alpha");
        Assert.True(filtered.Contains("Ann Alpha"), filtered);
        Assert.DoesNotContain("Bob Beta", filtered);

        var redirect = await browser.SubmitAsync(page, "/auth/authorize", new Dictionary<string, string> { ["launch_patient"] = AppLaunchFixture.PatientA });
        var (status, body) = await browser.ExchangeAsync(Browser.CodeOf(redirect), verifier);

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(AppLaunchFixture.PatientA, body.GetProperty("patient").GetString());
        Assert.Equal(AppLaunchFixture.PatientA, AccessToken(body).GetClaim("patient").Value);
        using var api = fixture.Factory.Server.CreateClient();
        api.WithToken(AccessToken(body).EncodedToken);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/Observation/{AppLaunchFixture.PatientA}-obs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync($"/Observation/{AppLaunchFixture.PatientB}-obs")).StatusCode);
    }

    [BackendFact]
    public async Task GivenAPickerPostWithoutTheAntiforgeryToken_WhenSubmitted_ThenNoCode()
    {
        using var browser = fixture.NewBrowser();
        var (_, challenge) = Browser.Pkce();
        var picker = await browser.SignInAsync(Browser.AuthorizeUrl("launch/patient patient/*.rs", challenge), AppLaunchFixture.Doctor);

        var response = await browser.SubmitAsync(await picker.Content.ReadAsStringAsync(), "/auth/authorize",
            new Dictionary<string, string> { ["launch_patient"] = AppLaunchFixture.PatientA, ["__RequestVerificationToken"] = "forged" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [BackendFact]
    public async Task GivenAPatientUser_WhenLaunchingStandalone_ThenTheirOwnPatientIsTheContext()
    {
        using var browser = fixture.NewBrowser();
        var body = await browser.LaunchAsync("launch/patient patient/*.rs", AppLaunchFixture.PatientUser);

        Assert.Equal(AppLaunchFixture.PatientB, body.GetProperty("patient").GetString());
    }

    [BackendFact]
    public async Task GivenAnEhrLaunch_WhenTheAppAuthorisesWithTheLaunchValue_ThenTheTokenResponseHasItsPatientAndEncounter()
    {
        using var ehr = fixture.Factory.CreateClient();
        var created = await ehr.PostAsync("/auth/launch", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["patient"] = AppLaunchFixture.PatientA, ["encounter"] = AppLaunchFixture.EncounterA,
        }));
        var launch = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        Assert.True(created.IsSuccessStatusCode, launch.ToString());
        Assert.Equal(300, launch.GetProperty("expires_in").GetInt32());

        using var browser = fixture.NewBrowser();
        var body = await browser.LaunchAsync("launch patient/*.rs", AppLaunchFixture.Doctor, launch.GetProperty("launch").GetString());

        Assert.Equal(AppLaunchFixture.PatientA, body.GetProperty("patient").GetString());
        Assert.Equal(AppLaunchFixture.EncounterA, body.GetProperty("encounter").GetString());
        Assert.Equal(AppLaunchFixture.PatientA, AccessToken(body).GetClaim("patient").Value);
    }

    [BackendFact]
    public async Task GivenAnUnknownLaunchValue_WhenAuthorising_ThenInvalidRequestBackToTheApp()
    {
        using var browser = fixture.NewBrowser();
        var (_, challenge) = Browser.Pkce();

        var response = await browser.Http.GetAsync(Browser.AuthorizeUrl("launch patient/*.rs", challenge, launch: "not-a-launch-this-server-made"));

        Assert.StartsWith(AppLaunchFixture.AppRedirect, response.Headers.Location?.ToString());
        Assert.Equal("invalid_request", await Browser.ErrorOf(response));
    }

    [BackendFact]
    public async Task GivenALaunchForAPatientThatDoesNotExist_WhenCreated_Then422()
    {
        using var ehr = fixture.Factory.CreateClient();
        var created = await ehr.PostAsync("/auth/launch", new FormUrlEncodedContent(new Dictionary<string, string> { ["patient"] = "no-such-patient" }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, created.StatusCode);
        Assert.Contains("OperationOutcome", await created.Content.ReadAsStringAsync());
    }

    [BackendFact]
    public async Task GivenOfflineAccess_WhenRefreshed_ThenANewTokenWithTheSameContextAndTheOldRefreshTokenIsSpent()
    {
        using var browser = fixture.NewBrowser();
        var body = await browser.LaunchAsync("launch/patient patient/*.rs offline_access", AppLaunchFixture.PatientUser);
        var refresh = body.GetProperty("refresh_token").GetString()!;

        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh, ["client_id"] = AppLaunchFixture.App };
        var (status, refreshed) = await browser.TokenAsync(form);

        Assert.True(status == HttpStatusCode.OK, refreshed.ToString());
        Assert.Equal(AppLaunchFixture.PatientB, refreshed.GetProperty("patient").GetString());
        Assert.Equal(AppLaunchFixture.PatientB, AccessToken(refreshed).GetClaim("patient").Value);
        Assert.NotEqual(refresh, refreshed.GetProperty("refresh_token").GetString());
        var (again, error) = await browser.TokenAsync(form);
        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenAUserRemovedAfterSignIn_WhenTheirRefreshTokenIsUsed_ThenInvalidGrant()
    {
        var store = fixture.Factory.Services.GetRequiredService<AuthStore>();
        var name = "removed-" + Guid.NewGuid().ToString("N")[..8];
        Assert.True(await store.AddUserAsync(name, AppLaunchFixture.Password, "Practitioner/removed-1", "user/*.rs"));
        using var browser = fixture.NewBrowser();
        var body = await browser.LaunchAsync("user/*.rs offline_access", name);

        Assert.True(await store.RemoveUserAsync(name));
        var (status, error) = await browser.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = body.GetProperty("refresh_token").GetString()!, ["client_id"] = AppLaunchFixture.App,
        });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenAPublicClient_WhenItAsksForClientCredentials_ThenRefused()
    {
        using var browser = fixture.NewBrowser();
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = AppLaunchFixture.App };
        var (status, body) = await browser.TokenAsync(form);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString()); // OpenIddict: this grant needs client credentials

        form["client_secret"] = "anything";
        (status, body) = await browser.TokenAsync(form);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unauthorized_client", body.GetProperty("error").GetString());
    }

    [BackendFact]
    public async Task GivenTheReviewApp_WhenItAuthorisesWithItsRedirectUri_ThenItGetsACode()
    {
        using var browser = fixture.NewBrowser();
        var (verifier, challenge) = Browser.Pkce();
        var url = Browser.AuthorizeUrl("openid fhirUser user/*.rs user/Condition.u", challenge, clientId: "symphony-review", redirectUri: "http://localhost/review/");

        var redirect = await browser.SignInAsync(url, AppLaunchFixture.Doctor);

        Assert.True(redirect.Headers.Location is not null, $"{(int)redirect.StatusCode} {await redirect.Content.ReadAsStringAsync()}");
        Assert.StartsWith("http://localhost/review/?code=", redirect.Headers.Location?.ToString());
        var code = QueryHelpers.ParseQuery(redirect.Headers.Location!.Query)["code"].ToString();
        var (status, body) = await browser.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = "http://localhost/review/",
            ["client_id"] = "symphony-review", ["code_verifier"] = verifier,
        });
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        // The user's own scopes (user/*.rs) bound what the review app gets: no update.
        Assert.Equal("openid fhirUser user/*.rs", AccessToken(body).GetClaim("scope").Value);
    }

    [BackendFact]
    public async Task GivenTheBuiltInServer_WhenDiscovered_ThenTheSmartConfigurationListsTheAppLaunchCapabilities()
    {
        using var client = fixture.Factory.Server.CreateClient();
        var document = JsonDocument.Parse(await client.GetStringAsync("/.well-known/smart-configuration")).RootElement;

        Assert.Equal("http://localhost/auth/authorize", document.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(["S256"], document.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        var capabilities = document.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()).ToList();
        foreach (var capability in new[] { "launch-standalone", "launch-ehr", "client-public", "context-standalone-patient", "context-ehr-encounter", "sso-openid-connect", "permission-offline" })
            Assert.Contains(capability, capabilities);
        Assert.Contains("authorization_code", document.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));
    }
}

public sealed class SqliteAppLaunchTests(SqliteAppLaunchFixture fixture) : AppLaunchTests<SqliteAppLaunchFixture>(fixture);

public sealed class PostgresAppLaunchTests(PostgresAppLaunchFixture fixture) : AppLaunchTests<PostgresAppLaunchFixture>(fixture);
