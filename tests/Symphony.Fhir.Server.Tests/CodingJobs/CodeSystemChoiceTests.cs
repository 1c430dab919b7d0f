using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>$code against any code system the server holds, and limited to a ValueSet it holds.</summary>
public sealed class SqliteCodeSystemChoiceTests(SqliteCodingServerFixture fixture) : IClassFixture<SqliteCodingServerFixture>
{
    const string ProblemList = "http://example.org/fhir/CodeSystem/problem-list";
    const string Problems = "http://example.org/fhir/ValueSet/problems";
    static readonly FhirJsonDeserializer Json = new();
    readonly HttpClient _http = fixture.Client;

    [Fact]
    public async Task GivenAnImportedCodeSystem_WhenCodeNamesItAsTheSystem_ThenTheAnswerHasItsCodesWithEvidenceAndNoIcd()
    {
        await ImportAsync(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "Symphony.Coders.Tests", "fixtures", "fhir", "CodeSystem-problem-list.json")));

        var answer = await CodeAsync("Adult-onset diabetes. No heart failure. Essential hypertension.", ("system", new FhirUri(ProblemList)));

        var codes = Codes(answer);
        Assert.Equal(["DM2", "HTN-ESS"], codes.Select(c => c.Code).Order());
        Assert.All(codes, c => Assert.Equal((ProblemList, "1"), (c.System, c.Version)));
        var diabetes = answer.Parameter.First(p => p.Name == "code" && ((Coding)p.Part[0].Value!).Code == "DM2");
        Assert.Equal("Adult-onset diabetes", ((FhirString)diabetes.Part.First(p => p.Name == "span").Part.First(s => s.Name == "text").Value!).Value);
        Assert.Contains(Rejected(answer), r => r.Code == "HF" && r.Reason.StartsWith("negated"));
    }

    [Fact]
    public async Task GivenAnImportedValueSet_WhenCodeIsLimitedToIt_ThenOnlyItsMembersAreReportedAndTheRestAreRejectedSayingWhy()
    {
        await ImportAsync(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "Symphony.Coders.Tests", "fixtures", "fhir", "CodeSystem-problem-list.json")));
        await ImportAsync($$$"""
            {"resourceType":"ValueSet","url":"{{{Problems}}}","version":"2","status":"active",
             "compose":{"include":[{"system":"{{{ProblemList}}}","concept":[{"code":"HTN"},{"code":"ASTHMA"}]}]}}
            """);

        var answer = await CodeAsync("Essential hypertension. Asthma. Adult-onset diabetes.",
            ("system", new FhirUri(ProblemList)), ("valueSet", new Canonical(Problems)));

        Assert.Equal(["ASTHMA", "HTN"], Codes(answer).Select(c => c.Code).Order());
        Assert.Contains(Rejected(answer), r => r.Code == "HTN-ESS" && r.Reason == $"not in ValueSet {Problems}|2");
        Assert.Contains(Rejected(answer), r => r.Code == "DM2" && r.Reason == $"not in ValueSet {Problems}|2");
    }

    [Fact]
    public async Task GivenACodeSystemFromAnHl7Package_WhenImportedAndNamedByCode_ThenTheSiteTheNoteStatesIsCodedAndTheNegatedOneIsNot()
    {
        // HL7 v3 ActSite, as the FHIR package hl7.terminology.r4 7.0.1 ships it (tests/Symphony.Coders.Tests/fixtures/README.md).
        await ImportAsync(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "Symphony.Coders.Tests", "fixtures", "fhir", "CodeSystem-v3-ActSite.json")));

        var answer = await CodeAsync("Influenza vaccine given in the left deltoid. No bruising at the right deltoid.",
            ("system", new FhirUri("http://terminology.hl7.org/CodeSystem/v3-ActSite")));

        var site = Assert.Single(Codes(answer));
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/v3-ActSite", "LD", "3.0.0"), (site.System, site.Code, site.Version));
        Assert.Contains(Rejected(answer), r => r.Code == "RD" && r.Reason.StartsWith("negated"));
    }

    [Fact]
    public async Task GivenASystemTheServerDoesNotHold_WhenCodeNamesIt_Then422SaysHowToLoadIt()
    {
        var response = await _http.PostAsync("/$code", Body(new Parameters().Add("text", new FhirString("Asthma.")).Add("system", new FhirUri("http://example.org/unknown"))));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = Json.Deserialize<OperationOutcome>(await response.Content.ReadAsStringAsync());
        Assert.Contains("http://example.org/unknown", outcome.Issue[0].Diagnostics);
        Assert.Contains("$import", outcome.Issue[0].Diagnostics);
    }

    async Task ImportAsync(string json)
    {
        var response = await _http.PostAsync("/CodeSystem/$import", new StringContent(json, Encoding.UTF8, "application/fhir+json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    async Task<Parameters> CodeAsync(string text, params (string Name, DataType Value)[] inputs)
    {
        var parameters = new Parameters().Add("text", new FhirString(text));
        foreach (var (name, value) in inputs) parameters.Add(name, value);
        var response = await _http.PostAsync("/$code", Body(parameters));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return Json.Deserialize<Parameters>(body);
    }

    static StringContent Body(Parameters parameters) => new(parameters.ToJson(), Encoding.UTF8, "application/fhir+json");

    static List<Coding> Codes(Parameters answer) =>
        answer.Parameter.Where(p => p.Name == "code").Select(p => (Coding)p.Part.First(part => part.Name == "code").Value!).ToList();

    static List<(string Code, string Reason)> Rejected(Parameters answer) =>
        answer.Parameter.Where(p => p.Name == "rejected").Select(p => (((Coding)p.Part.First(x => x.Name == "code").Value!).Code!,
            ((FhirString)p.Part.First(x => x.Name == "reason").Value!).Value!)).ToList();
}
