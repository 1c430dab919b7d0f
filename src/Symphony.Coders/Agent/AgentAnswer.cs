using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Symphony.Coders.Agent;

/// <summary>The model's final answer, as the JSON schema sent with the request describes it.</summary>
public sealed class AgentAnswer
{
    [Description("The codes to report, most important first.")]
    public required List<AnsweredCode> Codes { get; init; }

    [Description("Proposed codes (for example the embedded coder's candidates) that should not be reported, and why.")]
    public required List<DroppedCode> Dropped { get; init; }

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Parses the reply; tolerates a ```json fence around it. Throws <see cref="MalformedAnswerException"/> otherwise.</summary>
    public static AgentAnswer Parse(string? content)
    {
        if (string.IsNullOrWhiteSpace(content)) throw new MalformedAnswerException("the model's final answer is empty");
        var text = content.Trim();
        if (text.StartsWith("```", StringComparison.Ordinal))
        {
            var firstLine = text.IndexOf('\n');
            var closing = text.LastIndexOf("```", StringComparison.Ordinal);
            if (firstLine > 0 && closing > firstLine) text = text[(firstLine + 1)..closing].Trim();
        }
        AgentAnswer? answer;
        try { answer = JsonSerializer.Deserialize<AgentAnswer>(text, Json); }
        // The message names where parsing stopped, never the content (it may quote the note).
        catch (JsonException e) { throw new MalformedAnswerException($"the model's final answer is not the JSON asked for (line {e.LineNumber}, byte {e.BytePositionInLine})"); }
        if (answer?.Codes is null) throw new MalformedAnswerException("the model's final answer has no 'codes' list");
        if (answer.Codes.Any(c => c is null || string.IsNullOrWhiteSpace(c.Code)))
            throw new MalformedAnswerException("the model's final answer has a code entry without a code");
        return answer;
    }
}

public sealed class AnsweredCode
{
    [Description("An ICD-10-CM diagnosis code (dotted, e.g. E11.22) or ICD-10-PCS procedure code (7 characters).")]
    public required string Code { get; init; }

    [Description("Evidence: one or more passages copied character for character from the note.")]
    public required List<string> Quotes { get; init; }

    [Description("Why the note supports this code, in one sentence.")]
    public required string Reason { get; init; }
}

public sealed class DroppedCode
{
    public required string Code { get; init; }
    public required string Reason { get; init; }
}

/// <summary>The model answered, but not with something we can read.</summary>
public sealed class MalformedAnswerException(string message) : Exception(message);
