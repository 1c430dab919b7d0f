using System.CommandLine;

namespace Symphony.Cli.Agent;

/// <summary><c>symphony dev fake-llm --script turns.json [--port N]</c>: a scripted OpenAI-compatible server on 127.0.0.1, to try the agent path without a model.</summary>
public static class DevCommands
{
    public static Command Create()
    {
        var script = new Option<FileInfo>("--script") { Description = "The chat script (JSON: {\"turns\": [...]}).", Required = true };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 0 };
        var fakeLlm = new Command("fake-llm", "Serve a scripted OpenAI-compatible chat-completions conversation on 127.0.0.1 until Ctrl+C.") { script, port };
        fakeLlm.SetAction(async (parse, cancellation) =>
        {
            var turns = ChatScript.Load(parse.GetValue(script)!.FullName);
            await using var server = await ScriptedChatServer.StartAsync(turns, parse.GetValue(port));
            Console.WriteLine($"Scripted chat-completions server ({turns.Turns.Count} turns) on {server.Endpoint}");
            var reported = 0;
            while (!cancellation.IsCancellationRequested)
            {
                try { await Task.Delay(200, cancellation); } catch (OperationCanceledException) { break; }
                var violations = server.Violations;
                for (; reported < violations.Count; reported++) Console.Error.WriteLine($"violation: {violations[reported]}");
            }
            return server.Violations.Count == 0 ? 0 : 1;
        });
        return new Command("dev", "Development aids.") { fakeLlm };
    }
}
