using Microsoft.Extensions.Logging;
using Symphony.Cli.Agent;
using Symphony.Coders;
using Symphony.Coders.Agent;

namespace Symphony.Agent.Tests;

/// <summary>The agent logs what happened (mode, model, counts, fallback reason) and never the note, the quotes or the model's words.</summary>
[Collection(AgentCollection.Name)]
public sealed class LoggingTests(CoderFixture fixture)
{
    sealed class RecordingLogger : ILogger<AgentCoder>
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception) + (exception is null ? "" : " " + exception));
    }

    [Theory]
    [InlineData("correct-run.json")]
    [InlineData("malformed")]
    public async System.Threading.Tasks.Task GivenARun_WhenItIsLogged_ThenNoNoteTextOrModelOutputAppears(string scriptName)
    {
        var script = scriptName == "malformed"
            ? ChatScript.Parse("""{ "turns": [ { "content": "Codes: community-acquired pneumonia J18.9, essential hypertension I10" } ] }""")
            : Fixtures.Script(scriptName);
        await using var llm = await ScriptedChatServer.StartAsync(script);
        var logger = new RecordingLogger();
        using var agent = new AgentCoder(fixture.Coder, Fixtures.Options(llm.Endpoint), logger);

        await agent.CodeAsync(Fixtures.Note, new CodingOptions { Setting = CareSetting.Inpatient }, CodingMode.Agent);

        Assert.NotEmpty(logger.Lines);
        foreach (var phrase in new[] { "pneumonia", "diabetes", "hypertension", "embolism", "colon", "68-year-old" })
            Assert.DoesNotContain(logger.Lines, line => line.Contains(phrase, StringComparison.OrdinalIgnoreCase));
    }
}
