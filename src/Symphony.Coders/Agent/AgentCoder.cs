using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace Symphony.Coders.Agent;

/// <summary>How a note was coded: the path taken, the model, what it cost, and why it fell back if it did.</summary>
public sealed record AgentRun(
    CodingMode Mode,
    string? Model,
    int ModelCalls,
    int PromptTokens,
    int CompletionTokens,
    IReadOnlyList<string> ToolCalls,
    string? FallbackReason,
    TimeSpan Elapsed)
{
    public static AgentRun EmbeddedOnly(TimeSpan elapsed) => new(CodingMode.Embedded, null, 0, 0, 0, [], null, elapsed);

    public bool FellBack => FallbackReason is not null;
    public int TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>The path as the Provenance device states it: "embedded", "agent", "hybrid", or "embedded (agent fallback)".</summary>
    public string Path => Mode == CodingMode.Embedded ? "embedded" : FellBack ? $"embedded ({Mode.Name()} fallback)" : Mode.Name();

    /// <summary>One line for people: the model, the tokens used, and the fallback reason.</summary>
    public string Describe() => Mode == CodingMode.Embedded
        ? "embedded coder"
        : $"{Mode.Name()} with model {Model}: {ModelCalls} model calls, {PromptTokens} prompt + {CompletionTokens} completion tokens, tools [{string.Join(", ", ToolCalls)}]"
          + (FellBack ? $"; fell back to the embedded coder: {FallbackReason}" : "");
}

public sealed record AgentCodingResult(CodingResult Result, AgentRun Run);

/// <summary>
/// Codes a note with a language model over an OpenAI-compatible endpoint (Semantic Kernel, automatic
/// function calling with <see cref="CoderTools"/>, a JSON-schema final answer), then holds the answer to
/// <see cref="EvidenceGuard"/>. Endpoint down, timeout, too many round trips or an unreadable answer:
/// the embedded coder's result is returned and the run says why. Never logs note text or model
/// output; SK itself gets no logger. Thread-safe; share one per process.
/// </summary>
public sealed class AgentCoder : IDisposable
{
    readonly Coder _coder;
    readonly LlmOptions _options;
    readonly Uri _endpoint;
    readonly SocketsHttpHandler _http;
    readonly ILogger _logger;

    public AgentCoder(Coder coder, LlmOptions options, ILogger<AgentCoder>? logger = null)
    {
        _coder = coder;
        _options = options;
        _endpoint = options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        // No redirects: a redirected POST would carry the note to a host the loopback check never saw.
        _http = new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, options.TimeoutSeconds)) };
    }

    public string Model => _options.Model!;

    public void Dispose() => _http.Dispose();

    public async Task<AgentCodingResult> CodeAsync(string text, CodingOptions? options, CodingMode mode, CancellationToken cancellationToken = default)
    {
        options ??= CodingOptions.Default;
        var clock = Stopwatch.StartNew();
        if (mode == CodingMode.Embedded) return new(_coder.Code(text, options), AgentRun.EmbeddedOnly(clock.Elapsed));

        var tools = new CoderTools(_coder, text, options);
        var meter = new UsageMeter(_options.MaxRoundTrips) { InnerHandler = _http };
        // The meter is per run and its inner handler shared: neither is disposed here.
        var client = new HttpClient(meter, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
        AgentRun Run(string? fallback) => new(mode, Model, meter.Calls, meter.PromptTokens, meter.CompletionTokens, tools.Calls.ToList(), fallback, clock.Elapsed);

        try
        {
            var answer = await AskAsync(text, options, mode, tools, client, budget.Token);
            var proposed = mode == CodingMode.Hybrid ? tools.Candidates.Codes : [];
            var result = new EvidenceGuard(_coder, options).Apply(text, answer, Model, tools.Candidates, proposed);
            var run = Run(null);
            _logger.LogInformation("Coded a note ({Mode}, model {Model}): {Accepted} codes accepted, {Rejected} rejected; {Calls} model calls, {Tokens} tokens",
                mode.Name(), Model, result.Codes.Count, result.Rejected.Count, run.ModelCalls, run.TotalTokens);
            return new(result, run);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not LlmConfigurationException)
        {
            var reason = FallbackReason(e, budget.IsCancellationRequested);
            _logger.LogWarning("The {Mode} path fell back to the embedded coder: {Reason}", mode.Name(), reason);
            return new(tools.Candidates, Run(reason));
        }
    }

    async Task<AgentAnswer> AskAsync(string text, CodingOptions options, CodingMode mode, CoderTools tools, HttpClient client, CancellationToken token)
    {
        var builder = Kernel.CreateBuilder();
        builder.AddOpenAIChatCompletion(Model, _endpoint, string.IsNullOrEmpty(_options.ApiKey) ? "none" : _options.ApiKey, httpClient: client);
        var kernel = builder.Build();
        kernel.Plugins.AddFromObject(tools, CoderTools.PluginName);

        var history = new ChatHistory(SystemPrompt);
        history.AddUserMessage(UserPrompt(text, options, mode, tools));
        var settings = new OpenAIPromptExecutionSettings
        {
            FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(),
            ResponseFormat = typeof(AgentAnswer),
            Temperature = 0,
        };
        var reply = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history, settings, kernel, token);
        return AgentAnswer.Parse(reply.Content);
    }

    const string SystemPrompt = """
        You are an expert ICD-10-CM and ICD-10-PCS medical coder. Code the clinical note you are given.
        Work as a coder does, with the tools: search finds codes for a phrase of the note; explore shows a code's
        parents, children, inclusion terms and 7th characters; guidelines gives the tabular notes and conventions
        for a code; candidates gives the embedded rule-based coder's proposals with their evidence; verify checks
        a code set. Call verify on your final code set and fix every conflict before you answer.
        Rules: report only billable codes of the release named below; code only what the note affirms for this
        encounter (not negated, not family history, not hypothetical); follow the setting's rule for uncertain
        diagnoses. Every code must carry at least one quote copied character for character from the note.
        Answer with JSON only: {"codes":[{"code":"...","quotes":["..."],"reason":"..."}],"dropped":[{"code":"...","reason":"..."}]}.
        """;

    string UserPrompt(string text, CodingOptions options, CodingMode mode, CoderTools tools)
    {
        var releases = new CodeSetVerifier(_coder).Releases;
        var prompt = $"Setting: {options.Setting.ToString().ToLowerInvariant()}. Release in force: {releases}.\nNote:\n<<<\n{text}\n>>>\n";
        if (mode != CodingMode.Hybrid) return prompt;
        var proposals = JsonSerializer.Serialize(CoderTools.Summarise(tools.Candidates), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        return prompt + $"""
            The embedded coder proposes the codes below. Adjudicate: keep each proposal the note supports (with its quote),
            list the others under "dropped" with the reason, and add any code it missed.
            {proposals}
            """;
    }

    /// <summary>Why the model path failed, in words safe to log and to store: no note text, no model output.</summary>
    string FallbackReason(Exception e, bool outOfTime)
    {
        if (outOfTime && e is OperationCanceledException or TaskCanceledException || (outOfTime && e.InnerException is OperationCanceledException))
            return $"the model did not answer within {_options.TimeoutSeconds} s";
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            // Ours, possibly wrapped by the connector: their messages are written to be safe.
            if (inner is MalformedAnswerException or TooManyRoundTripsException) return inner.Message;
            if (inner is SocketException socket)
                return $"cannot reach the model endpoint {_endpoint.Host}:{_endpoint.Port} ({socket.SocketErrorCode})";
            if (inner is HttpRequestException { StatusCode: null } request)
                return $"cannot reach the model endpoint {_endpoint.Host}:{_endpoint.Port} ({request.HttpRequestError})";
            if (inner is HttpOperationException { StatusCode: { } status })
                return $"the model endpoint answered HTTP {(int)status} {status}";
            if (inner is JsonException)
                return "the model endpoint's reply is not valid chat-completions JSON";
        }
        if (outOfTime) return $"the model did not answer within {_options.TimeoutSeconds} s";
        return $"the model call failed ({e.GetType().Name})";
    }
}

/// <summary>The conversation went on longer than <see cref="LlmOptions.MaxRoundTrips"/>.</summary>
public sealed class TooManyRoundTripsException(int limit) : Exception($"the model made more than {limit} round trips without a final answer");

/// <summary>Counts the model round trips of one run and sums the token usage each reply reports.</summary>
sealed class UsageMeter(int maxCalls) : DelegatingHandler
{
    int _calls, _prompt, _completion;
    public int Calls => _calls;
    public int PromptTokens => _prompt;
    public int CompletionTokens => _completion;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) > maxCalls) throw new TooManyRoundTripsException(maxCalls);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "application/json") return response;
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        try
        {
            // Bytes, not a stream: the content caches the stream it hands out, and the connector reads it after us.
            using var body = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                if (usage.TryGetProperty("prompt_tokens", out var p) && p.TryGetInt32(out var prompt)) Interlocked.Add(ref _prompt, prompt);
                if (usage.TryGetProperty("completion_tokens", out var c) && c.TryGetInt32(out var completion)) Interlocked.Add(ref _completion, completion);
            }
        }
        catch (JsonException) { /* the connector reports an unreadable reply itself */ }
        return response;
    }
}
