using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>Coding:StatusCodes: a site that does not code status Z codes turns them off.</summary>
public sealed class StatusCodesSettingTests
{
    const string Note = "Type 2 diabetes mellitus, on insulin daily. Status post kidney transplant.";

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    public async Task GivenTheStatusCodesSetting_WhenANoteSaysTheDrugAndTheTransplant_ThenTheirStatusCodesAreReportedOnlyWhenOn(string? setting, bool reported)
    {
        await using var backend = new SqliteTestBackend();
        var settings = CodingServerFixture.Settings(backend);
        if (setting is not null) settings["Coding:StatusCodes"] = setting;
        await using var server = CodingServerFixture.Start(settings);
        using var client = server.CreateClient();
        var input = new Parameters().Add("text", new FhirString(Note)).Add("setting", new Code("outpatient"));

        var response = await client.PostAsync("/$code", CodingTestClient.Body(input));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var codes = new FhirJsonDeserializer().Deserialize<Parameters>(body).Parameter.Where(p => p.Name == "code")
            .Select(p => ((Coding)p.Part[0].Value!).Code).ToList();
        Assert.Contains("E11.9", codes);
        Assert.Equal(reported, codes.Contains("Z79.4"));
        Assert.Equal(reported, codes.Contains("Z94.0"));
    }
}
