using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Symphony.Cli.Agent;

/// <summary>
/// An OpenAI-compatible chat-completions server on 127.0.0.1 that replays a <see cref="ChatScript"/>, for
/// testing the agent path over the real protocol. It checks what a real client must send — the tools
/// list on every request, and after tool calls an assistant message with those calls and one tool
/// result per call id — and records every breach in <see cref="Violations"/> (answering HTTP 400).
/// </summary>
public sealed class ScriptedChatServer : IAsyncDisposable
{
    public static readonly string[] RequiredTools = ["search", "explore", "guidelines", "verify", "candidates"];

    readonly ChatScript _script;
    readonly WebApplication _app;
    readonly object _gate = new();
    int _next;
    IReadOnlyList<string> _pendingCallIds = [];

    readonly List<string> _violations = [];
    readonly List<JsonObject> _requests = [];

    /// <summary>Every breach of the protocol seen so far.</summary>
    public IReadOnlyList<string> Violations { get { lock (_gate) return [.. _violations]; } }
    /// <summary>Every request body received, in order.</summary>
    public IReadOnlyList<JsonObject> Requests { get { lock (_gate) return [.. _requests]; } }
    public Uri Endpoint { get; private set; } = null!;
    public int TurnsServed => _next;

    ScriptedChatServer(ChatScript script, int port)
    {
        _script = script;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        // The caller owns Ctrl+C and SIGTERM (the CLI command, the test run); the host must not swallow them.
        builder.Services.AddSingleton<IHostLifetime, CallerOwnedLifetime>();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        _app = builder.Build();
        _app.MapPost("/{**path}", Handle);
    }

    public static async Task<ScriptedChatServer> StartAsync(ChatScript script, int port = 0)
    {
        var server = new ScriptedChatServer(script, port);
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    async Task<IResult> Handle(HttpContext context, string? path)
    {
        JsonObject body;
        try { body = (await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))?.AsObject() ?? []; }
        catch (JsonException) { return Fail("the request body is not JSON"); }

        ScriptedTurn turn;
        List<string> problems;
        lock (_gate)
        {
            _requests.Add(body);
            if (path is null || !path.EndsWith("chat/completions", StringComparison.Ordinal))
                return Fail($"unexpected path /{path}");
            if (_next >= _script.Turns.Count) return Fail($"request {_next + 1} but the script has {_script.Turns.Count} turns");
            turn = _script.Turns[_next++];
            problems = Check(body, turn);
            _pendingCallIds = turn.ToolCalls?.Select(c => c.Id).ToList() ?? [];
        }
        if (problems.Count > 0) return Fail(string.Join("; ", problems));

        if (turn.DelayMs > 0)
        {
            try { await Task.Delay(turn.DelayMs, context.RequestAborted); }
            catch (OperationCanceledException) { return Results.Empty; }
        }
        if (turn.Raw is not null) return Results.Text(turn.Raw, "application/json", statusCode: turn.Status);
        return Results.Text(Completion(body, turn).ToJsonString(), "application/json", statusCode: turn.Status);
    }

    IResult Fail(string problem)
    {
        lock (_gate) _violations.Add(problem);
        return Results.Json(new { error = new { message = "scripted server: " + problem, type = "invalid_request_error" } }, statusCode: 400);
    }

    List<string> Check(JsonObject body, ScriptedTurn turn)
    {
        var problems = new List<string>();
        var offered = ToolNames(body);
        foreach (var name in RequiredTools)
            if (Resolve(offered, name) is null) problems.Add($"tool '{name}' not offered (offered: {string.Join(", ", offered)})");
        foreach (var call in turn.ToolCalls ?? [])
            if (Resolve(offered, call.Name) is null) problems.Add($"scripted call to '{call.Name}' names no offered tool");
        if (body["messages"] is not JsonArray messages || messages.Count == 0) { problems.Add("no messages"); return problems; }
        if (_pendingCallIds.Count == 0) return problems;

        var asked = messages.OfType<JsonObject>().Where(m => (string?)m["role"] == "assistant")
            .SelectMany(m => m["tool_calls"] as JsonArray ?? []).OfType<JsonObject>().Select(c => (string?)c["id"]).ToHashSet();
        var results = messages.OfType<JsonObject>().Where(m => (string?)m["role"] == "tool")
            .ToDictionary(m => (string?)m["tool_call_id"] ?? "", m => Text(m["content"]));
        foreach (var id in _pendingCallIds)
        {
            if (!asked.Contains(id)) problems.Add($"the assistant message with tool call {id} was not sent back");
            if (!results.TryGetValue(id, out var result) || string.IsNullOrWhiteSpace(result)) { problems.Add($"no tool result for call {id}"); continue; }
            if (turn.ExpectToolResultContains?.GetValueOrDefault(id) is { } expected && !result.Contains(expected, StringComparison.Ordinal))
                problems.Add($"the tool result for call {id} does not contain '{expected}': {result[..Math.Min(result.Length, 400)]}");
        }
        return problems;
    }

    static List<string> ToolNames(JsonObject body) =>
        (body["tools"] as JsonArray ?? []).OfType<JsonObject>().Select(t => (string?)t["function"]?["name"]).OfType<string>().ToList();

    /// <summary>The offered tool a scripted name means: the same name, or a plugin-qualified one ending in it.</summary>
    static string? Resolve(List<string> offered, string name) =>
        offered.FirstOrDefault(o => o == name) ?? offered.FirstOrDefault(o => o.EndsWith("_" + name, StringComparison.Ordinal) || o.EndsWith("-" + name, StringComparison.Ordinal));

    /// <summary>Content as a string whether sent as a string or as an array of text parts.</summary>
    static string Text(JsonNode? content) => content switch
    {
        JsonValue v => (string?)v ?? "",
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Select(p => (string?)p["text"])),
        _ => "",
    };

    JsonObject Completion(JsonObject request, ScriptedTurn turn)
    {
        var offered = ToolNames(request);
        var message = new JsonObject { ["role"] = "assistant" };
        string finish;
        if (turn.ToolCalls is { Count: > 0 } calls)
        {
            message["content"] = null;
            message["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.Id,
                ["type"] = "function",
                ["function"] = new JsonObject
                {
                    ["name"] = Resolve(offered, c.Name),
                    ["arguments"] = c.Arguments.ValueKind == JsonValueKind.Undefined ? "{}" : c.Arguments.GetRawText(),
                },
            }).ToArray());
            finish = "tool_calls";
        }
        else
        {
            message["content"] = turn.Content ?? turn.Answer?.GetRawText() ?? "";
            finish = "stop";
        }
        return new JsonObject
        {
            ["id"] = $"chatcmpl-scripted-{_next}",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = (string?)request["model"] ?? "scripted",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = turn.PromptTokens,
                ["completion_tokens"] = turn.CompletionTokens,
                ["total_tokens"] = turn.PromptTokens + turn.CompletionTokens,
            },
        };
    }

    sealed class CallerOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
