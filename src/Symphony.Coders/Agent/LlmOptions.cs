namespace Symphony.Coders.Agent;

/// <summary>Who codes a note: the embedded coder alone, a language model with the coder's tools, or both.</summary>
public enum CodingMode
{
    /// <summary>The embedded coder only; nothing leaves the process.</summary>
    Embedded,
    /// <summary>The model codes the note with the tools (search, explore, guidelines, verify, candidates).</summary>
    Agent,
    /// <summary>The embedded coder proposes; the model adjudicates its proposals and may add codes.</summary>
    Hybrid,
}

public static class CodingModes
{
    public static CodingMode Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "embedded" => CodingMode.Embedded,
        "agent" => CodingMode.Agent,
        "hybrid" => CodingMode.Hybrid,
        _ => throw new ArgumentException($"Unknown coding mode '{value}'; expected embedded, agent or hybrid."),
    };

    public static string Name(this CodingMode mode) => mode.ToString().ToLowerInvariant();
}

/// <summary>The configuration is unusable (no endpoint, a non-loopback endpoint while loopback-only is on...).</summary>
public sealed class LlmConfigurationException(string message) : Exception(message);

/// <summary>
/// An OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI v1, Ollama, vLLM...).
/// Bound from configuration section <c>Coding:Llm</c> by the server and from options by the CLI.
/// </summary>
public sealed class LlmOptions
{
    public const string Section = "Coding:Llm";

    /// <summary>Base URL up to and including the version segment, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1.</summary>
    public string? Endpoint { get; set; }
    /// <summary>Model name (Azure OpenAI: the deployment name).</summary>
    public string? Model { get; set; }
    public string? ApiKey { get; set; }
    /// <summary>Budget for the whole conversation with the model, tool calls included; past it the embedded coder answers.</summary>
    public int TimeoutSeconds { get; set; } = 120;
    /// <summary>Refuse any endpoint that is not on this machine (127.0.0.0/8, ::1, localhost), so note text cannot leave it.</summary>
    public bool LoopbackOnly { get; set; }
    /// <summary>Most model round trips in one conversation before the answer is taken as missing.</summary>
    public int MaxRoundTrips { get; set; } = 16;

    /// <summary>The endpoint as a URI, after checking the whole configuration; throws <see cref="LlmConfigurationException"/> with the reason.</summary>
    public Uri Validate()
    {
        if (string.IsNullOrWhiteSpace(Endpoint))
            throw new LlmConfigurationException($"No model endpoint configured ({Section}:Endpoint or --endpoint), needed by the agent and hybrid modes.");
        if (!Uri.TryCreate(Endpoint.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new LlmConfigurationException($"The model endpoint '{Endpoint}' is not an absolute http(s) URL.");
        if (string.IsNullOrWhiteSpace(Model))
            throw new LlmConfigurationException($"No model name configured ({Section}:Model or --model).");
        if (TimeoutSeconds <= 0)
            throw new LlmConfigurationException($"{Section}:TimeoutSeconds must be positive (is {TimeoutSeconds}).");
        if (LoopbackOnly && !uri.IsLoopback)
            throw new LlmConfigurationException($"Loopback-only is on ({Section}:LoopbackOnly) and the model endpoint host '{uri.Host}' is not a loopback address (127.0.0.0/8, ::1, localhost): refusing to send note text off this machine.");
        return uri;
    }
}
