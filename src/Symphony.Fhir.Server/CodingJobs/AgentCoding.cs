using System.Collections.Concurrent;
using Symphony.Coders;
using Symphony.Coders.Agent;
using Hl7.Fhir.Model;
using Symphony.Fhir.Server.Fhir;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>
/// The coding path per server (<c>Coding:Mode</c>: embedded, agent, hybrid) and per request (<c>$code</c>'s
/// <c>mode</c>), with the model endpoint from <c>Coding:Llm</c> (Endpoint, Model, ApiKey, TimeoutSeconds,
/// LoopbackOnly). An unusable configuration stops the server at start with the reason.
/// </summary>
public sealed class AgentCoding(IConfiguration configuration, ILoggerFactory loggers) : IDisposable
{
    public const string ModeTag = "https://symphony-fhir.dev/CodeSystem/coding-mode";

    readonly ConcurrentDictionary<Coder, AgentCoder> _agents = new(ReferenceEqualityComparer.Instance);
    readonly LlmOptions? _llm = LlmFrom(configuration);

    public CodingMode DefaultMode { get; } = CodingModes.Parse(configuration["Coding:Mode"]);

    /// <summary>For the start-up log: the default mode and the model endpoint, if any (no key).</summary>
    public string Description => _llm is null
        ? DefaultMode.Name()
        : $"{DefaultMode.Name()} by default; model {_llm.Model} at {new Uri(_llm.Endpoint!).Authority}{(_llm.LoopbackOnly ? " (loopback only)" : "")}";

    /// <summary>The mode an asynchronous inline-text request asked for, kept on its Binary until a worker codes it.</summary>
    public static Hl7.Fhir.Model.Coding TagFor(CodingMode mode) => new(ModeTag, mode.Name());

    /// <summary>The endpoint configuration if one is set or needed, validated; throws <see cref="LlmConfigurationException"/> otherwise.</summary>
    public static LlmOptions? LlmFrom(IConfiguration configuration)
    {
        var mode = CodingModes.Parse(configuration["Coding:Mode"]);
        var llm = configuration.GetSection(LlmOptions.Section).Get<LlmOptions>();
        if (mode == CodingMode.Embedded && string.IsNullOrWhiteSpace(llm?.Endpoint)) return null;
        llm ??= new LlmOptions();
        llm.Validate();
        return llm;
    }

    /// <summary>The mode a request asks for (null: the server's); 400 when it is unknown or needs a model the server has not configured.</summary>
    public CodingMode ModeFor(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested)) return DefaultMode;
        CodingMode mode;
        try { mode = CodingModes.Parse(requested); }
        catch (ArgumentException e) { throw FhirException.BadRequest(e.Message); }
        if (mode != CodingMode.Embedded && _llm is null)
            throw FhirException.BadRequest($"mode '{requested}' needs a model endpoint, and this server has none ({LlmOptions.Section}:Endpoint).");
        return mode;
    }

    public async Task<(CodingResult Result, CoderIdentity Identity, AgentRun Run)> CodeAsync(Coder coder, string text, CodingOptions options, CodingMode? mode, CancellationToken ct)
    {
        var chosen = mode ?? DefaultMode;
        if (chosen == CodingMode.Embedded || _llm is null)
            return (coder.Code(text, options), CoderIdentity.Embedded, AgentRun.EmbeddedOnly(TimeSpan.Zero));
        var agent = _agents.GetOrAdd(coder, c => new AgentCoder(c, _llm, loggers.CreateLogger<AgentCoder>()));
        var coded = await agent.CodeAsync(text, options, chosen, ct);
        return (coded.Result, IdentityOf(coded.Run), coded.Run);
    }

    /// <summary>The Provenance device: the model and path (one Device per model), and this run's tokens and any fallback as the activity.</summary>
    public static CoderIdentity IdentityOf(AgentRun run) => run.Mode == CodingMode.Embedded
        ? CoderIdentity.Embedded
        : run.FellBack
            ? CoderIdentity.Embedded with { Path = run.Path, Run = run.Describe() }
            : new CoderIdentity($"Symphony {run.Mode.Name()} coder, model {run.Model}", CoderIdentity.Embedded.Version, $"{run.Mode.Name()}:{run.Model}") { Run = run.Describe() };

    /// <summary>Adds to a $code answer how the note was coded: path, model, tokens, fallback reason.</summary>
    public static void Describe(Parameters answer, AgentRun run)
    {
        if (run.Mode == CodingMode.Embedded) return;
        var parts = new List<Parameters.ParameterComponent>
        {
            new() { Name = "mode", Value = new Code(run.Mode.Name()) },
            new() { Name = "path", Value = new FhirString(run.Path) },
            new() { Name = "model", Value = new FhirString(run.Model) },
            new() { Name = "modelCalls", Value = new Integer(run.ModelCalls) },
            new() { Name = "promptTokens", Value = new Integer(run.PromptTokens) },
            new() { Name = "completionTokens", Value = new Integer(run.CompletionTokens) },
        };
        if (run.FallbackReason is { } reason) parts.Add(new() { Name = "fallback", Value = new FhirString(reason) });
        answer.Parameter.Add(new Parameters.ParameterComponent { Name = "coder", Part = parts });
    }

    public void Dispose()
    {
        foreach (var agent in _agents.Values) agent.Dispose();
    }
}

public static class AgentCodingExtensions
{
    /// <summary>Registers the coding path, and checks the model configuration when the host starts, so a bad one stops the start.</summary>
    public static WebApplicationBuilder AddAgentCoding(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AgentCoding>();
        builder.Services.AddHostedService<ConfigurationCheck>();
        return builder;
    }

    /// <summary>Resolving <see cref="AgentCoding"/> validates <c>Coding:Mode</c> and <c>Coding:Llm</c>; a hosted service makes that happen at start.</summary>
    sealed class ConfigurationCheck(AgentCoding agents, ILogger<AgentCoding> logger) : IHostedService
    {
        public System.Threading.Tasks.Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogInformation("Coding mode: {Mode}", agents.Description);
            return System.Threading.Tasks.Task.CompletedTask;
        }

        public System.Threading.Tasks.Task StopAsync(CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;
    }
}
