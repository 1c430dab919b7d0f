// FHIR model properties are nullable; here a null where a value is expected fails the test, which is the right outcome.
#nullable disable warnings

using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Claim = System.Security.Claims.Claim;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary>
/// Every kind of interaction asked with every kind of token: none, expired, for another audience, from another issuer,
/// badly signed, with too narrow a scope, with a patient/ scope reaching a patient not its own, and with a system scope.
/// </summary>
public abstract class TokenMatrixTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : AuthServerFixture
{
    const string FhirJson = "application/fhir+json";
    const string PatientId = "matrix-patient";
    static readonly FhirJsonSerializer JsonOut = new();

    /// <summary>An interaction, the resource type it is on, and the SMART letter it needs.</summary>
    public sealed record Interaction(string Name, HttpMethod Method, string Path, string Type, string Letter, Resource Body = null);

    static IReadOnlyList<Interaction> Interactions()
    {
        var patient = new Patient { Id = PatientId, Active = true };
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry = [new() { Resource = patient, Request = new() { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{PatientId}" } }],
        };
        var codeSystem = new CodeSystem { Url = "http://example.org/matrix", Version = "1", Status = PublicationStatus.Active, Content = CodeSystemContentMode.Complete, Concept = [new() { Code = "a" }] };
        return
        [
            new("read", HttpMethod.Get, $"/Patient/{PatientId}", "Patient", "r"),
            new("vread", HttpMethod.Get, $"/Patient/{PatientId}/_history/1", "Patient", "r"),
            new("history", HttpMethod.Get, $"/Patient/{PatientId}/_history", "Patient", "r"),
            new("search", HttpMethod.Get, $"/Patient?_id={PatientId}", "Patient", "s"),
            new("create", HttpMethod.Post, "/Patient", "Patient", "c", new Patient { Active = false }),
            new("update", HttpMethod.Put, $"/Patient/{PatientId}", "Patient", "u", patient),
            new("delete", HttpMethod.Delete, "/Patient/matrix-deleted", "Patient", "d"),
            new("transaction", HttpMethod.Post, "/", "Patient", "u", transaction),
            new("$code on a note", HttpMethod.Post, "/DocumentReference/matrix-note/$code", "DocumentReference", "r"),
            new("$import", HttpMethod.Post, "/CodeSystem/$import", "CodeSystem", "c", codeSystem),
        ];
    }

    async Task SeedAsync()
    {
        using var client = fixture.Client;
        foreach (var id in new[] { PatientId, "matrix-deleted" })
        {
            var put = await client.PutAsync($"/Patient/{id}", Body(new Patient { Id = id, Active = true }));
            Assert.True(put.IsSuccessStatusCode, $"seeding Patient/{id}: {(int)put.StatusCode}");
        }
    }

    static HttpRequestMessage Request(Interaction interaction, string token)
    {
        var request = new HttpRequestMessage(interaction.Method, interaction.Path);
        if (interaction.Body is not null)
            request.Content = Body(interaction.Body);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    static StringContent Body(Resource resource) => new(JsonOut.SerializeToString(resource), Encoding.UTF8, FhirJson);

    static async Task<OperationOutcome> OutcomeAsync(HttpResponseMessage response) =>
        new FhirJsonDeserializer().Deserialize<OperationOutcome>(await response.Content.ReadAsStringAsync());

    /// <summary>A token like the server's own but for the changes asked: the claims a built-in token has, signed with <paramref name="key"/> (default the server's).</summary>
    string Token(string issuer = "http://localhost/", string audience = "http://localhost", TimeSpan? expiresIn = null, SecurityKey key = null,
        string scope = "system/*.cruds", string patient = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires - TimeSpan.FromMinutes(20),
            NotBefore = expires - TimeSpan.FromMinutes(20),
            Expires = expires,
            TokenType = "at+jwt",
            Subject = new ClaimsIdentity(new[] { new Claim("sub", TestAuth.ClientId), new Claim("client_id", TestAuth.ClientId), new Claim("scope", scope) }
                .Concat(patient is null ? [] : [new Claim("patient", patient)])),
            SigningCredentials = new SigningCredentials(key ?? fixture.ServerKey, SecurityAlgorithms.RsaSha256),
        });
    }

    async Task AssertEveryInteractionUnauthorizedAsync(string token, bool invalidToken)
    {
        await SeedAsync();
        using var client = fixture.Anonymous();
        foreach (var interaction in Interactions())
        {
            var response = await client.SendAsync(Request(interaction, token));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{interaction.Name}: {(int)response.StatusCode} {body}");
            var challenge = response.Headers.WwwAuthenticate.Single();
            Assert.Equal("Bearer", challenge.Scheme);
            Assert.Equal(invalidToken, challenge.Parameter?.Contains("error=\"invalid_token\"") == true);
            var outcome = await OutcomeAsync(response);
            Assert.Equal(OperationOutcome.IssueType.Login, outcome.Issue[0].Code);
            if (token is not null)
                Assert.DoesNotContain(token.Split('.')[1], body + response.Headers); // the token is never echoed
        }
    }

    [BackendFact]
    public Task GivenNoToken_WhenEachInteractionIsAsked_Then401WithABearerChallengeAndAnOperationOutcome() =>
        AssertEveryInteractionUnauthorizedAsync(null, invalidToken: false);

    [BackendFact]
    public Task GivenAnExpiredToken_WhenEachInteractionIsAsked_Then401InvalidToken() =>
        AssertEveryInteractionUnauthorizedAsync(Token(expiresIn: TimeSpan.FromMinutes(-5)), invalidToken: true);

    [BackendFact]
    public Task GivenATokenForAnotherAudience_WhenEachInteractionIsAsked_Then401InvalidToken() =>
        AssertEveryInteractionUnauthorizedAsync(Token(audience: "https://other.example.org/fhir"), invalidToken: true);

    [BackendFact]
    public Task GivenATokenFromAnotherIssuer_WhenEachInteractionIsAsked_Then401InvalidToken() =>
        AssertEveryInteractionUnauthorizedAsync(Token(issuer: "https://issuer.example.org/"), invalidToken: true);

    [BackendFact]
    public Task GivenATokenWithABadSignature_WhenEachInteractionIsAsked_Then401InvalidToken() =>
        AssertEveryInteractionUnauthorizedAsync(Token(key: new RsaSecurityKey(RSA.Create(2048)) { KeyId = fixture.ServerKey.KeyId }), invalidToken: true);

    [BackendFact]
    public async Task GivenAWellFormedTokenOfTheServer_WhenReadWith_ThenItIsAccepted()
    {
        // The control for the four tokens above: only the one claim they change makes them fail.
        await SeedAsync();
        using var client = fixture.Anonymous();
        var response = await client.SendAsync(Request(Interactions()[0], Token()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [BackendFact]
    public async Task GivenATokenAcceptedOnce_WhenItExpiresBeforeItIsSentAgain_Then401InvalidToken()
    {
        // Valid tokens are remembered between requests: the lifetime is still checked on each one. This token is within the
        // one-minute clock skew for a few more seconds only.
        await SeedAsync();
        using var client = fixture.Anonymous();
        var token = Token(expiresIn: TimeSpan.FromSeconds(-56));
        var first = await client.SendAsync(Request(Interactions()[0], token));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(6));
        var again = await client.SendAsync(Request(Interactions()[0], token));
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Contains("error=\"invalid_token\"", again.Headers.WwwAuthenticate.Single().Parameter);
    }

    [BackendFact]
    public async Task GivenATokenWithTooNarrowAScope_WhenEachInteractionIsAsked_Then403NamingTheScopeItNeeds()
    {
        await SeedAsync();
        using var client = fixture.Anonymous();
        var token = await TestAuth.TokenAsync(client, AuthServerFixture.NarrowClient, AuthServerFixture.Secret);
        foreach (var interaction in Interactions())
        {
            var response = await client.SendAsync(Request(interaction, token));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{interaction.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var outcome = await OutcomeAsync(response);
            Assert.Equal(OperationOutcome.IssueType.Forbidden, outcome.Issue[0].Code);
            Assert.Contains($"system/{interaction.Type}.{interaction.Letter}", outcome.Issue[0].Diagnostics);
        }
    }

    [BackendFact]
    public async Task GivenAPatientScopeToken_WhenItReachesAPatientNotItsOwn_Then403()
    {
        await SeedAsync();
        using var client = fixture.Anonymous();
        var token = await TestAuth.TokenAsync(client, AuthServerFixture.PatientClient, AuthServerFixture.Secret);
        foreach (var interaction in Interactions().Where(i => i.Letter is "r" or "s" && i.Type == "Patient"))
        {
            var response = await client.SendAsync(Request(interaction, token));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{interaction.Name}: {(int)response.StatusCode}");
        }
    }

    [BackendFact]
    public async Task GivenAPatientScopeTokenWithItsPatient_WhenReadingAndSearching_ThenOnlyThatPatientsCompartmentIsReached()
    {
        using var admin = fixture.Client;
        foreach (var id in new[] { "compartment-own", "compartment-other" })
        {
            Assert.True((await admin.PutAsync($"/Patient/{id}", Body(new Patient { Id = id }))).IsSuccessStatusCode);
            var observation = new Observation
            {
                Id = $"{id}-obs", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"),
                Subject = new ResourceReference($"Patient/{id}"),
            };
            Assert.True((await admin.PutAsync($"/Observation/{id}-obs", Body(observation))).IsSuccessStatusCode);
        }
        using var client = fixture.Anonymous();
        client.WithToken(Token(scope: "patient/*.rs", patient: "compartment-own"));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Patient/compartment-own")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Observation/compartment-own-obs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/Observation/compartment-own-obs/_history/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/Patient/compartment-other")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/Observation/compartment-other-obs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/Observation/_history")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsync("/Patient/compartment-own", Body(new Patient { Id = "compartment-own" }))).StatusCode);

        var observations = new FhirJsonDeserializer().Deserialize<Bundle>(await client.GetStringAsync("/Observation?code=http://loinc.org|8867-4&_include=Observation:subject"));
        var reached = observations.Entry.Select(e => $"{e.Resource.TypeName}/{e.Resource.Id}").ToList();
        Assert.Contains("Observation/compartment-own-obs", reached);
        Assert.DoesNotContain("Observation/compartment-other-obs", reached);
        Assert.DoesNotContain("Patient/compartment-other", reached);
        Assert.Null(observations.Total); // not the count of every patient's
        var patients = new FhirJsonDeserializer().Deserialize<Bundle>(await client.GetStringAsync("/Patient?_id=compartment-own,compartment-other"));
        Assert.Equal(["compartment-own"], patients.Entry.Select(e => e.Resource.Id));
    }

    [BackendFact]
    public async Task GivenASystemScopeToken_WhenEachInteractionIsAsked_ThenNoneIsRefusedForWantOfAuthorisation()
    {
        await SeedAsync();
        using var client = fixture.Client;
        foreach (var interaction in Interactions())
        {
            var response = await client.SendAsync(Request(interaction, null));
            var status = (int)response.StatusCode;
            Assert.True(status is not (401 or 403) and < 500, $"{interaction.Name}: {status} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [BackendFact]
    public async Task GivenATransactionWithOneForbiddenEntry_WhenPosted_Then403AndNothingIsWritten()
    {
        using var client = fixture.Anonymous();
        var token = await TestAuth.TokenAsync(client, AuthServerFixture.NarrowClient, AuthServerFixture.Secret, "system/Observation.rs");
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { Resource = new Observation { Id = "matrix-tx", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4") }, Request = new() { Method = Bundle.HTTPVerb.PUT, Url = "Observation/matrix-tx" } },
                new() { Resource = new Patient { Id = "matrix-tx" }, Request = new() { Method = Bundle.HTTPVerb.PUT, Url = "Patient/matrix-tx" } },
            ],
        };
        var response = await client.SendAsync(Request(new Interaction("transaction", HttpMethod.Post, "/", "Patient", "u", bundle), token));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var admin = fixture.Client;
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/Observation/matrix-tx")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/Patient/matrix-tx")).StatusCode);
    }

    [BackendFact]
    public async Task GivenAnAsyncCodeOfInlineText_WhenAnotherClientAsksForItsStatus_Then403AndItsOwnClientIsAnswered()
    {
        var input = new Parameters();
        input.Add("text", new FhirString("Assessment: essential hypertension."));
        using var owner = fixture.Client;
        var request = new HttpRequestMessage(HttpMethod.Post, "/$code") { Content = Body(input) };
        request.Headers.Add("Prefer", "respond-async");
        var accepted = await owner.SendAsync(request);
        Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, $"{(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        var status = accepted.Content.Headers.ContentLocation ?? new Uri(accepted.Headers.GetValues("Content-Location").Single());

        using var other = fixture.Anonymous();
        other.WithToken(await TestAuth.TokenAsync(other, AuthServerFixture.NarrowClient, AuthServerFixture.Secret));
        var refused = await other.GetAsync(status);
        var cancelRefused = await other.DeleteAsync(status);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, (await OutcomeAsync(refused)).Issue[0].Code);
        Assert.Equal(HttpStatusCode.Forbidden, cancelRefused.StatusCode);
        Assert.True((await owner.GetAsync(status)).StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK);
    }

    [BackendFact]
    public async Task GivenASearchIncludingResourcesTheTokenMayNotRead_WhenSearched_ThenTheyAreLeftOut()
    {
        await SeedAsync();
        using var admin = fixture.Client;
        var observation = new Observation
        {
            Id = "matrix-obs", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"Patient/{PatientId}"),
        };
        Assert.True((await admin.PutAsync("/Observation/matrix-obs", Body(observation))).IsSuccessStatusCode);
        const string search = "/Observation?_id=matrix-obs&_include=Observation:subject";

        var all = new FhirJsonDeserializer().Deserialize<Bundle>(await (await admin.GetAsync(search)).Content.ReadAsStringAsync());
        using var client = fixture.Anonymous();
        client.WithToken(await TestAuth.TokenAsync(client, AuthServerFixture.NarrowClient, AuthServerFixture.Secret));
        var narrow = new FhirJsonDeserializer().Deserialize<Bundle>(await (await client.GetAsync(search)).Content.ReadAsStringAsync());

        Assert.Contains(all.Entry, e => e.Resource is Patient); // the include works…
        Assert.Equal(["Observation"], narrow.Entry.Select(e => e.Resource.TypeName)); // …and leaves out what the token may not read
    }
}

public sealed class SqliteTokenMatrixTests(SqliteAuthServerFixture fixture) : TokenMatrixTests<SqliteAuthServerFixture>(fixture);

public sealed class PostgresTokenMatrixTests(PostgresAuthServerFixture fixture) : TokenMatrixTests<PostgresAuthServerFixture>(fixture);
