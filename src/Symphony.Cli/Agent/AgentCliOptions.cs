using System.CommandLine;
using Symphony.Coders;
using Symphony.Coders.Agent;

namespace Symphony.Cli.Agent;

/// <summary>
/// The options that choose the coding path on <c>symphony code</c>:
/// <c>--mode embedded|agent|hybrid --endpoint URL --model NAME [--api-key KEY] [--timeout SECONDS] [--loopback-only]</c>.
/// The key may come from SYMPHONY_LLM_API_KEY instead, so it stays out of shell history.
/// </summary>
public sealed class AgentCliOptions
{
    public const string ApiKeyVariable = "SYMPHONY_LLM_API_KEY";

    readonly Option<string> _mode = new("--mode") { Description = "embedded (default: nothing leaves the machine), agent (a language model codes with the coder's tools) or hybrid (the embedded coder proposes, the model adjudicates and may add).", DefaultValueFactory = _ => "embedded" };
    readonly Option<string?> _endpoint = new("--endpoint") { Description = "OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1 (Ollama) or https://api.openai.com/v1." };
    readonly Option<string?> _model = new("--model") { Description = "Model name (Azure OpenAI: the deployment name)." };
    readonly Option<string?> _apiKey = new("--api-key") { Description = $"API key for the endpoint (default: the {ApiKeyVariable} environment variable)." };
    readonly Option<int> _timeout = new("--timeout") { Description = "Seconds the whole model conversation may take before the embedded coder answers instead.", DefaultValueFactory = _ => 120 };
    readonly Option<bool> _loopbackOnly = new("--loopback-only") { Description = "Refuse any endpoint that is not on this machine." };

    AgentCliOptions() => _mode.AcceptOnlyFromAmong("embedded", "agent", "hybrid");

    public static AgentCliOptions AddTo(Command command)
    {
        var options = new AgentCliOptions();
        command.Add(options._mode);
        command.Add(options._endpoint);
        command.Add(options._model);
        command.Add(options._apiKey);
        command.Add(options._timeout);
        command.Add(options._loopbackOnly);
        return options;
    }

    /// <summary>Codes the note on the path the options choose; null (with the reason on stderr) when the endpoint options are unusable.</summary>
    public AgentCodingResult? Code(ParseResult parse, Coder coder, string text, CodingOptions options)
    {
        try { return CodeOrThrow(parse, coder, text, options); }
        catch (LlmConfigurationException e) { Console.Error.WriteLine(e.Message); return null; }
    }

    AgentCodingResult CodeOrThrow(ParseResult parse, Coder coder, string text, CodingOptions options)
    {
        var mode = CodingModes.Parse(parse.GetValue(_mode));
        if (mode == CodingMode.Embedded) return new(coder.Code(text, options), AgentRun.EmbeddedOnly(TimeSpan.Zero));
        var llm = new LlmOptions
        {
            Endpoint = parse.GetValue(_endpoint),
            Model = parse.GetValue(_model),
            ApiKey = parse.GetValue(_apiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable),
            TimeoutSeconds = parse.GetValue(_timeout),
            LoopbackOnly = parse.GetValue(_loopbackOnly),
        };
        using var agent = new AgentCoder(coder, llm);
        return agent.CodeAsync(text, options, mode).GetAwaiter().GetResult();
    }

    /// <summary>The result as JSON shows it: unchanged for the embedded path, with the run (model, tokens, fallback) otherwise.</summary>
    public static object ForJson(AgentCodingResult coded) =>
        coded.Run.Mode == CodingMode.Embedded ? coded.Result : new { coded.Result.Codes, coded.Result.Rejected, Agent = coded.Run };

    /// <summary>The closing line of the text output: which path coded the note (nothing for the embedded path).</summary>
    public static void Report(AgentRun run)
    {
        if (run.Mode != CodingMode.Embedded) Console.WriteLine($"Coded by: {run.Describe()}");
    }
}
