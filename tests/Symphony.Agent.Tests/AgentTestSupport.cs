using Symphony.Cli.Agent;
using Symphony.Coders;
using Symphony.Coders.Agent;
using Symphony.Terminology;

namespace Symphony.Agent.Tests;

/// <summary>The FY2021 ICD-10-CM release loaded once for every agent test.</summary>
public sealed class CoderFixture
{
    public Coder Coder { get; } = new(ShippedTerminology.LoadIcd10Cm("2021"), null);
}

[CollectionDefinition(Name)]
public sealed class AgentCollection : ICollectionFixture<CoderFixture>
{
    public const string Name = "agent";
}

public static class Fixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", name);
    public static string Note { get; } = File.ReadAllText(Path("pneumonia-note.txt"));
    public static ChatScript Script(string name) => ChatScript.Load(Path(System.IO.Path.Combine("scripts", name)));

    /// <summary>A two-turn conversation: the model searches once (and the search must have run), then answers with <paramref name="answerJson"/>.</summary>
    public static ChatScript SearchThenAnswer(string answerJson) => ChatScript.Parse($$"""
        {
          "turns": [
            { "toolCalls": [ { "id": "call_1", "name": "search", "arguments": { "phrase": "pneumonia" } } ] },
            { "expectToolResultContains": { "call_1": "J18.9" }, "answer": {{answerJson}} }
          ]
        }
        """);

    public static LlmOptions Options(Uri endpoint, int timeoutSeconds = 180) => new()
    {
        Endpoint = endpoint.ToString(),
        Model = "test",
        ApiKey = "test-key",
        TimeoutSeconds = timeoutSeconds,
        LoopbackOnly = true,
    };
}
