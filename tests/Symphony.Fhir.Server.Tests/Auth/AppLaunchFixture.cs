using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary>
/// The real server over a fresh database of one backend, for SMART App Launch: a public app with a registered redirect
/// URI, users of configuration and one stored as <c>symphony auth user add</c> stores it, and two patients (with an
/// Observation each) and an encounter to launch with.
/// </summary>
public abstract class AppLaunchFixture : IAsyncLifetime
{
    public const string App = "launch-app";
    public const string AppRedirect = "http://app.example/callback";
    public const string AppScopes = "openid fhirUser launch launch/patient offline_access user/*.rs patient/*.rs";
    public const string Doctor = "doctor";
    public const string DoctorFhirUser = "Practitioner/doc-1";
    public const string NarrowUser = "narrow";
    public const string PatientUser = "patient-user";
    public const string StoredUser = "stored-user";
    public const string LockedOutUser = "locked-out";
    public const string Password = "correct horse battery staple";
    public const string PatientA = "launch-patient-a";
    public const string PatientB = "launch-patient-b";
    public const string EncounterA = "launch-encounter-a";

    TestBackend? _backend;
    WebApplicationFactory<Program>? _factory;

    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("The backend is not available.");

    protected abstract Task<TestBackend?> CreateBackendAsync();

    public async Task InitializeAsync()
    {
        _backend = await CreateBackendAsync();
        if (_backend is null)
            return;
        var hash = SecretHash.Of(Password);
        var settings = new Dictionary<string, string?>(_backend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            ["Auth:Clients:1:ClientId"] = App,
            ["Auth:Clients:1:Scopes"] = AppScopes,
            ["Auth:Clients:1:RedirectUris"] = $"{AppRedirect} http://app.example/other",
        };
        void User(int index, string name, string fhirUser, string scopes)
        {
            settings[$"Auth:Users:{index}:UserName"] = name;
            settings[$"Auth:Users:{index}:PasswordHash"] = hash;
            settings[$"Auth:Users:{index}:FhirUser"] = fhirUser;
            settings[$"Auth:Users:{index}:Scopes"] = scopes;
        }
        User(0, Doctor, DoctorFhirUser, "user/*.rs openid fhirUser");
        User(1, NarrowUser, "Practitioner/narrow-1", "user/Observation.rs");
        User(2, PatientUser, $"Patient/{PatientB}", "user/*.rs");
        User(3, LockedOutUser, "Practitioner/locked-1", "user/*.rs"); // the lockout test's own: it stays locked out for the fixture's life
        _factory = InMemoryServer.Start(settings);
        _ = Factory.Server;
        // As `symphony auth user add` stores a user: through the server's own store, in the same database.
        var store = (AuthStore)Factory.Services.GetService(typeof(AuthStore))!;
        Assert.True(await store.AddUserAsync(StoredUser, Password, "Practitioner/stored-1", "user/*.rs"));
        await SeedAsync();
    }

    async Task SeedAsync()
    {
        using var admin = Factory.CreateClient();
        var resources = new Resource[]
        {
            new Patient { Id = PatientA, Name = [new HumanName { Family = "Alpha", Given = ["Ann"] }], BirthDate = "1970-01-01" },
            new Patient { Id = PatientB, Name = [new HumanName { Family = "Beta", Given = ["Bob"] }] },
            new Observation { Id = PatientA + "-obs", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference($"Patient/{PatientA}") },
            new Observation { Id = PatientB + "-obs", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference($"Patient/{PatientB}") },
            new Encounter { Id = EncounterA, Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = new ResourceReference($"Patient/{PatientA}") },
        };
        foreach (var resource in resources)
        {
            var put = await admin.PutAsync($"/{resource.TypeName}/{resource.Id}",
                new StringContent(new FhirJsonSerializer().SerializeToString(resource), Encoding.UTF8, "application/fhir+json"));
            Assert.True(put.IsSuccessStatusCode, $"seeding {resource.TypeName}/{resource.Id}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>A browser: cookies kept, redirects not followed (the test follows them), no token.</summary>
    public Browser NewBrowser()
    {
        var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        client.DefaultRequestHeaders.Authorization = null;
        return new Browser(client);
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
            await _factory.DisposeAsync();
        if (_backend is not null)
            await _backend.DisposeAsync();
    }
}

public sealed class SqliteAppLaunchFixture : AppLaunchFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => Task.FromResult<TestBackend?>(new SqliteTestBackend());
}

public sealed class PostgresAppLaunchFixture : AppLaunchFixture
{
    protected override Task<TestBackend?> CreateBackendAsync() => PostgresTestBackend.CreateIfConfiguredAsync();
}

/// <summary>What an app and its user's browser do in the authorisation code flow, over HTTP, one step at a time.</summary>
public sealed partial class Browser(HttpClient http) : IDisposable
{
    public HttpClient Http => http;

    /// <summary>A PKCE verifier and its S256 challenge.</summary>
    public static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string AuthorizeUrl(string scope, string? challenge, string method = "S256", string clientId = AppLaunchFixture.App,
        string redirectUri = AppLaunchFixture.AppRedirect, string? launch = null)
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = scope,
            ["state"] = "state-123",
            ["aud"] = "http://localhost",
        };
        if (challenge is not null)
        {
            query["code_challenge"] = challenge;
            query["code_challenge_method"] = method;
        }
        if (launch is not null)
            query["launch"] = launch;
        return QueryHelpers.AddQueryString("/auth/authorize", query);
    }

    /// <summary>Follows redirects on this server until one leaves it (the app's redirect URI) or a page is shown.</summary>
    public async Task<HttpResponseMessage> FollowAsync(HttpResponseMessage response)
    {
        for (var hops = 0; hops < 10 && response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther; hops++)
        {
            var location = response.Headers.Location!;
            if (!(location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString).StartsWith("/auth/", StringComparison.Ordinal))
                return response;
            response = await http.GetAsync(location);
        }
        return response;
    }

    /// <summary>Posts a page's form (the one whose action is <paramref name="action"/>) with its hidden fields and <paramref name="fields"/>.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string page, string action, IDictionary<string, string> fields)
    {
        var form = FormOf(page, action);
        var values = HiddenField().Matches(form).Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)))
            .Where(f => !fields.ContainsKey(f.Key)).Concat(fields).ToList();
        return await FollowAsync(await http.PostAsync(action, new FormUrlEncodedContent(values)));
    }

    static string FormOf(string page, string action)
    {
        var start = page.IndexOf($"<form method=\"post\" action=\"{action}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no form posting to {action} in: {page}");
        return page[start..page.IndexOf("</form>", start, StringComparison.Ordinal)];
    }

    /// <summary>The login form at the end of <paramref name="authorize"/>'s redirects, submitted with these credentials.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string authorizeUrl, string userName, string password = AppLaunchFixture.Password)
    {
        var page = await FollowAsync(await http.GetAsync(authorizeUrl));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK && html.Contains("<label for=\"password\">"), $"{(int)page.StatusCode}: {html}");
        return await SubmitAsync(html, "/auth/login", new Dictionary<string, string> { ["username"] = userName, ["password"] = password });
    }

    /// <summary>The code in a redirect to the app, after checking the state came back.</summary>
    public static string CodeOf(HttpResponseMessage response)
    {
        var location = response.Headers.Location;
        Assert.True(location is not null && location.ToString().StartsWith(AppLaunchFixture.AppRedirect, StringComparison.Ordinal),
            $"expected a redirect to the app, got {(int)response.StatusCode} {location} {response.Content.ReadAsStringAsync().Result}");
        var query = QueryHelpers.ParseQuery(location!.Query);
        Assert.Equal("state-123", query["state"].ToString());
        Assert.True(query.ContainsKey("code"), location.ToString());
        return query["code"].ToString();
    }

    /// <summary>The OAuth error of a refused authorisation request: in the redirect to the app, or in the page when the redirect URI was not trusted.</summary>
    public static async Task<string?> ErrorOf(HttpResponseMessage response)
    {
        if (response.Headers.Location is { } location)
            return QueryHelpers.ParseQuery(location.Query).TryGetValue("error", out var error) ? error.ToString() : null;
        var body = await response.Content.ReadAsStringAsync();
        return Regex.Match(body, "error[\"=: ]+([a-z_]+)") is { Success: true } match ? match.Groups[1].Value : null;
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(IDictionary<string, string> form)
    {
        var response = await http.PostAsync("/auth/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> ExchangeAsync(string code, string verifier, string redirectUri = AppLaunchFixture.AppRedirect) =>
        TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = AppLaunchFixture.App,
            ["code_verifier"] = verifier,
        });

    /// <summary>The whole flow for <paramref name="userName"/>: sign in, (no picker), code, token response.</summary>
    public async Task<JsonElement> LaunchAsync(string scope, string userName, string? launch = null)
    {
        var (verifier, challenge) = Pkce();
        var code = CodeOf(await SignInAsync(AuthorizeUrl(scope, challenge, launch: launch), userName));
        var (status, body) = await ExchangeAsync(code, verifier);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        return body;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();

    public void Dispose() => http.Dispose();
}
