using System.Text.Json;
using System.Text.Json.Serialization;

namespace Symphony.Cli.Agent;

/// <summary>
/// A scripted conversation for <see cref="ScriptedChatServer"/>: one turn per chat-completions request,
/// in order. A turn answers with tool calls, a final answer (<see cref="ScriptedTurn.Answer"/> as JSON or
/// <see cref="ScriptedTurn.Content"/> as text), or a raw body; it may wait first (to provoke a timeout).
/// </summary>
public sealed class ChatScript
{
    public List<ScriptedTurn> Turns { get; init; } = [];

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static ChatScript Parse(string json) =>
        JsonSerializer.Deserialize<ChatScript>(json, Json) ?? throw new JsonException("The chat script is empty.");

    public static ChatScript Load(string path) => Parse(File.ReadAllText(path));
}

public sealed class ScriptedTurn
{
    /// <summary>Tool calls to return; names may be short ("search") and are matched to the tools the request offers.</summary>
    public List<ScriptedToolCall>? ToolCalls { get; init; }
    /// <summary>A final answer, sent as the message content (serialized JSON).</summary>
    public JsonElement? Answer { get; init; }
    /// <summary>A final answer sent verbatim as the message content.</summary>
    public string? Content { get; init; }
    /// <summary>A whole response body sent as is, instead of a chat completion.</summary>
    public string? Raw { get; init; }
    public int Status { get; init; } = 200;
    public int DelayMs { get; init; }
    public int PromptTokens { get; init; } = 100;
    public int CompletionTokens { get; init; } = 20;
    /// <summary>Text each tool result sent back for the previous turn's calls must contain, by call id (proves the tools ran).</summary>
    public Dictionary<string, string>? ExpectToolResultContains { get; init; }
}

public sealed class ScriptedToolCall
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public JsonElement Arguments { get; init; }
}
