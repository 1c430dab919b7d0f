using System.Text.Json.Nodes;
using Symphony.Cli.Agent;
using Symphony.Coders;
using Symphony.Coders.Agent;

namespace Symphony.Agent.Tests;

/// <summary>
/// The agent path over the real protocol: Semantic Kernel's OpenAI connector talks HTTP to a scripted
/// chat-completions server on 127.0.0.1, runs the tools it is asked for, and the answer is held to the guards.
/// </summary>
[Collection(AgentCollection.Name)]
public sealed class AgentGuardTests(CoderFixture fixture)
{
    readonly Coder coder = fixture.Coder;
    static readonly CodingOptions Inpatient = new() { Setting = CareSetting.Inpatient };

    async Task<(AgentCodingResult Coded, ScriptedChatServer Server)> Run(ChatScript script, CodingMode mode = CodingMode.Agent, int timeoutSeconds = 180)
    {
        var server = await ScriptedChatServer.StartAsync(script);
        using var agent = new AgentCoder(coder, Fixtures.Options(server.Endpoint, timeoutSeconds));
        var coded = await agent.CodeAsync(Fixtures.Note, Inpatient, mode);
        if (timeoutSeconds > 1) Assert.False(coded.Run.FallbackReason?.Contains("did not answer") == true, coded.Run.FallbackReason);
        return (coded, server);
    }

    static string Answer(params (string Code, string Quote)[] codes) =>
        new JsonObject
        {
            ["codes"] = new JsonArray(codes.Select(c => (JsonNode)new JsonObject { ["code"] = c.Code, ["quotes"] = new JsonArray(c.Quote), ["reason"] = "documented" }).ToArray()),
            ["dropped"] = new JsonArray(),
        }.ToJsonString();

    [Fact]
    public async Task GivenACorrectConversation_WhenCoding_ThenToolsRunOverHttpAndEveryCodeCarriesLocatedEvidence()
    {
        var (coded, server) = await Run(Fixtures.Script("correct-run.json"));
        await using var _ = server;

        AssertProtocolKept(server);
        Assert.Equal(3, server.TurnsServed);
        Assert.Null(coded.Run.FallbackReason);
        Assert.Equal(["J18.9", "E11.9", "I10"], coded.Result.Codes.Select(c => c.Code));
        foreach (var code in coded.Result.Codes)
        {
            Assert.NotEmpty(code.Spans);
            foreach (var span in code.Spans) Assert.Equal(Fixtures.Note.Substring(span.Start, span.Length), span.Text);
            Assert.Contains("verify:passed", code.Rules);
        }
        var pneumonia = coded.Result.Codes[0].Spans.Single();
        Assert.Equal(Fixtures.Note.IndexOf("community-acquired pneumonia", StringComparison.Ordinal), pneumonia.Start);

        // What reached the wire: the tools list and a JSON-schema answer format on every request, tool results after each call.
        var first = server.Requests[0];
        Assert.Equal("test", (string?)first["model"]);
        Assert.Equal(5, first["tools"]!.AsArray().Count);
        Assert.Equal("json_schema", (string?)first["response_format"]?["type"]);
        Assert.Contains(server.Requests[2]["messages"]!.AsArray(), m => (string?)m!["role"] == "tool" && (string?)m["tool_call_id"] == "call_verify");

        Assert.Equal(["search", "candidates", "explore", "verify"], coded.Run.ToolCalls);
        Assert.Equal(3, coded.Run.ModelCalls);
        Assert.Equal(900 + 1500 + 2100, coded.Run.PromptTokens);
        Assert.Equal(40 + 35 + 120, coded.Run.CompletionTokens);
        Assert.Equal("test", coded.Run.Model);
        Assert.Equal("agent", coded.Run.Path);
    }

    [Fact]
    public async Task GivenAHallucinatedCode_WhenCoding_ThenItIsRejectedAndTheRestKept()
    {
        var (coded, server) = await Run(Fixtures.SearchThenAnswer(Answer(("J18.9", "community-acquired pneumonia"), ("J18.95", "pneumonia of the right lower lobe"))));
        await using var _ = server;

        AssertProtocolKept(server);
        Assert.Equal(["J18.9"], coded.Result.Codes.Select(c => c.Code));
        var rejected = Assert.Single(coded.Result.Rejected, r => r.Code == "J18.95");
        Assert.Contains("not a code of ICD-10-CM 2021", rejected.Reason);
    }

    [Fact]
    public async Task GivenAQuoteThatIsNotInTheNote_WhenCoding_ThenTheCodeIsRejected()
    {
        var (coded, server) = await Run(Fixtures.SearchThenAnswer(Answer(("J18.9", "community-acquired pneumonia"), ("I10", "severe uncontrolled hypertension"))));
        await using var _ = server;

        AssertProtocolKept(server);
        Assert.DoesNotContain(coded.Result.Codes, c => c.Code == "I10");
        var rejected = Assert.Single(coded.Result.Rejected, r => r.Code == "I10");
        Assert.Contains("evidence quote not found in the note", rejected.Reason);
        Assert.Empty(rejected.Spans);
    }

    [Fact]
    public async Task GivenAnUnbillableParentCode_WhenCoding_ThenItIsRejectedWithABillableHint()
    {
        var (coded, server) = await Run(Fixtures.SearchThenAnswer(Answer(("E11", "type 2 diabetes mellitus"), ("I10", "essential hypertension"))));
        await using var _ = server;

        Assert.Equal(["I10"], coded.Result.Codes.Select(c => c.Code));
        var rejected = Assert.Single(coded.Result.Rejected, r => r.Code == "E11");
        Assert.Contains("not billable", rejected.Reason);
        Assert.Contains("E11.", rejected.Reason);
    }

    [Fact]
    public async Task GivenAQuoteFromANegatedSentence_WhenCoding_ThenTheCodeIsRejectedAsNegated()
    {
        var (coded, server) = await Run(Fixtures.SearchThenAnswer(Answer(("I26.99", "pulmonary embolism"), ("I10", "essential hypertension"))));
        await using var _ = server;

        Assert.Equal(["I10"], coded.Result.Codes.Select(c => c.Code));
        var rejected = Assert.Single(coded.Result.Rejected, r => r.Code == "I26.99");
        Assert.StartsWith("negated:", rejected.Reason);
    }

    [Fact]
    public async Task GivenAQuoteReflowedByTheModel_WhenCoding_ThenItIsLocatedAndTheSpanIsTheNotesOwnText()
    {
        // The note breaks the line after "lobe."; the model joins the lines and changes the case.
        var (coded, server) = await Run(Fixtures.SearchThenAnswer(Answer(("J18.9", "Right Lower Lobe.  He has"))));
        await using var _ = server;

        var span = Assert.Single(Assert.Single(coded.Result.Codes).Spans);
        Assert.Equal("right lower lobe.\nHe has", span.Text);
        Assert.Equal(Fixtures.Note.Substring(span.Start, span.Length), span.Text);
    }

    [Fact]
    public async Task GivenTheEndpointRefusesConnections_WhenCoding_ThenTheEmbeddedCoderAnswersAndSaysWhy()
    {
        var port = ClosedPort();
        using var agent = new AgentCoder(coder, Fixtures.Options(new Uri($"http://127.0.0.1:{port}/v1")));
        var coded = await agent.CodeAsync(Fixtures.Note, Inpatient, CodingMode.Agent);

        Assert.True(coded.Run.FellBack);
        Assert.Contains("cannot reach the model endpoint", coded.Run.FallbackReason);
        Assert.Equal("embedded (agent fallback)", coded.Run.Path);
        Assert.Equal(coder.Code(Fixtures.Note, Inpatient).Codes.Select(c => c.Code), coded.Result.Codes.Select(c => c.Code));
        Assert.Contains("fell back to the embedded coder", coded.Run.Describe());
    }

    [Fact]
    public async Task GivenTheModelAnswersTooLate_WhenCoding_ThenItTimesOutAndTheEmbeddedCoderAnswers()
    {
        var script = ChatScript.Parse("""{ "turns": [ { "delayMs": 20000, "content": "{}" } ] }""");
        var (coded, server) = await Run(script, timeoutSeconds: 1);
        await using var _ = server;

        Assert.Equal("the model did not answer within 1 s", coded.Run.FallbackReason);
        Assert.True(coded.Run.Elapsed < TimeSpan.FromSeconds(15), $"took {coded.Run.Elapsed}");
        Assert.Contains(coded.Result.Codes, c => c.Code == "J18.9");
    }

    [Fact]
    public async Task GivenAFinalAnswerThatIsNotJson_WhenCoding_ThenItFallsBackWithoutQuotingTheAnswer()
    {
        var script = ChatScript.Parse("""
            { "turns": [
              { "toolCalls": [ { "id": "call_1", "name": "candidates" } ] },
              { "content": "The patient has pneumonia J18.9 and hypertension I10." }
            ] }
            """);
        var (coded, server) = await Run(script);
        await using var _ = server;

        AssertProtocolKept(server);
        Assert.NotNull(coded.Run.FallbackReason);
        Assert.StartsWith("the model's final answer is not the JSON asked for", coded.Run.FallbackReason);
        Assert.DoesNotContain("pneumonia", coded.Run.FallbackReason);
        Assert.Equal(2, coded.Run.ModelCalls);
    }

    [Fact]
    public async Task GivenAReplyThatIsNotChatCompletionJson_WhenCoding_ThenItFallsBack()
    {
        var script = ChatScript.Parse("""{ "turns": [ { "raw": "{\"choices\": [ {\"message\": " } ] }""");
        var (coded, server) = await Run(script);
        await using var _ = server;

        Assert.True(coded.Run.FellBack);
        Assert.Contains(coded.Result.Codes, c => c.Code == "I10");
    }

    [Fact]
    public async Task GivenHybridMode_WhenTheModelAdjudicates_ThenUnconfirmedProposalsAreRejectedAndItsAdditionsKept()
    {
        var embedded = coder.Code(Fixtures.Note, Inpatient);
        var (coded, server) = await Run(Fixtures.Script("hybrid-run.json"), CodingMode.Hybrid);
        await using var _ = server;

        AssertProtocolKept(server);
        Assert.Equal("hybrid", coded.Run.Path);
        Assert.Equal(["E11.9", "I10", "J18.1", "Z80.0"], coded.Result.Codes.Select(c => c.Code).Order());
        Assert.Contains("agrees with the embedded coder", coded.Result.Codes.Single(c => c.Code == "Z80.0").Rules);
        var added = coded.Result.Codes.Single(c => c.Code == "J18.1"); // the model's own, more specific reading
        Assert.DoesNotContain(embedded.Codes, c => c.Code == "J18.1");
        Assert.DoesNotContain("agrees with the embedded coder", added.Rules);
        Assert.Equal(EvidenceGuard.ModelOnlyConfidence, added.Confidence);
        // Every other embedded proposal (J18.9 among them) was adjudicated away, with the model named.
        foreach (var proposal in embedded.Codes.Where(c => c.Code is not ("E11.9" or "I10" or "Z80.0")))
            Assert.Contains(coded.Result.Rejected, r => r.Code == proposal.Code && r.Reason.Contains("by model test"));
        // The proposals went to the model in the first message.
        var prompt = (string?)server.Requests[0]["messages"]!.AsArray().Last(m => (string?)m!["role"] == "user")!["content"];
        Assert.All(embedded.Codes, c => Assert.Contains(c.Code, prompt));
    }

    static void AssertProtocolKept(ScriptedChatServer server) =>
        Assert.True(server.Violations.Count == 0, string.Join("\n", server.Violations));

    static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
