using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Api;

/// <summary>The limits are checked when the server starts: one it cannot use stops it, with the setting's name.</summary>
public sealed class FhirOptionsTests
{
    [Theory]
    [InlineData("Fhir:MaxBodyBytes", "0")]
    [InlineData("Fhir:MaxElements", "-1")]
    [InlineData("Fhir:MaxUrlBytes", "10")]
    [InlineData("Fhir:MaxHeaderBytes", "2000000")]
    [InlineData("Fhir:RequestHeadersTimeout", "00:00:00")]
    public async Task GivenAnUnusableLimit_WhenTheServerStarts_ThenItStopsAndNamesTheSetting(string setting, string value)
    {
        var failure = await InMemoryServer.StartupFailureAsync(setting, value);

        Assert.Contains(setting, failure.ToString());
    }
}
