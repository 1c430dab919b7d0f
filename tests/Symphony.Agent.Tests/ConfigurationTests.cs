using System.Net;
using System.Text;
using Symphony.Cli.Agent;
using Symphony.Coders.Agent;

namespace Symphony.Agent.Tests;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("https://api.openai.com/v1")]
    [InlineData("http://10.0.0.5:8000/v1")]
    [InlineData("http://my-vllm.internal:8000/v1")]
    public void GivenLoopbackOnly_WhenTheEndpointIsElsewhere_ThenItIsRefusedWithTheReason(string endpoint)
    {
        var options = new LlmOptions { Endpoint = endpoint, Model = "m", LoopbackOnly = true };
        var error = Assert.Throws<LlmConfigurationException>(options.Validate);
        Assert.Contains("not a loopback address", error.Message);
        Assert.Contains(new Uri(endpoint).Host, error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:11434/v1")]
    [InlineData("http://localhost:8000/v1")]
    [InlineData("http://[::1]:8000/v1")]
    public void GivenLoopbackOnly_WhenTheEndpointIsOnThisMachine_ThenItIsAccepted(string endpoint) =>
        Assert.Equal(new Uri(endpoint), new LlmOptions { Endpoint = endpoint, Model = "m", LoopbackOnly = true }.Validate());

    [Fact]
    public void GivenLoopbackOff_WhenTheEndpointIsRemote_ThenItIsAccepted() =>
        Assert.Equal("api.openai.com", new LlmOptions { Endpoint = "https://api.openai.com/v1", Model = "gpt-4o" }.Validate().Host);

    [Theory]
    [InlineData(null, "m", "No model endpoint")]
    [InlineData("ftp://127.0.0.1/v1", "m", "not an absolute http(s) URL")]
    [InlineData("http://127.0.0.1/v1", null, "No model name")]
    public void GivenAnIncompleteConfiguration_WhenValidated_ThenTheErrorSaysWhatIsMissing(string? endpoint, string? model, string expected) =>
        Assert.Contains(expected, Assert.Throws<LlmConfigurationException>(new LlmOptions { Endpoint = endpoint, Model = model }.Validate).Message);

    [Theory]
    [InlineData("agent", CodingMode.Agent)]
    [InlineData("Hybrid", CodingMode.Hybrid)]
    [InlineData(null, CodingMode.Embedded)]
    public void CodingModesParseCaseInsensitivelyAndDefaultToEmbedded(string? value, CodingMode expected) =>
        Assert.Equal(expected, CodingModes.Parse(value));

    [Fact]
    public async Task GivenARequestWithoutTools_WhenTheScriptedServerReceivesIt_ThenItRecordsAViolationAndAnswers400()
    {
        await using var server = await ScriptedChatServer.StartAsync(ChatScript.Parse("""{ "turns": [ { "content": "{}" } ] }"""));
        using var http = new HttpClient();
        var body = new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");

        var response = await http.PostAsync(new Uri(server.Endpoint + "/chat/completions"), body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(server.Violations, v => v.Contains("tool 'search' not offered"));
    }
}
