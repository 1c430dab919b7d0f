using System.Diagnostics;
using Symphony.Cli.Agent;

namespace Symphony.Agent.Tests;

/// <summary>The built <c>symphony</c> CLI, run as a process, coding a note through the scripted server.</summary>
public sealed class CliAgentTests
{
    [Fact]
    public async Task GivenTheScriptedServer_WhenSymphonyCodeRunsInAgentMode_ThenItPrintsCodesWithVerifiedEvidence()
    {
        await using var server = await ScriptedChatServer.StartAsync(Fixtures.Script("correct-run.json"));

        var (exit, stdout, stderr) = await RunCli("code", Fixtures.Path("pneumonia-note.txt"), "--mode", "agent", "--endpoint", server.Endpoint.ToString(), "--model", "test", "--loopback-only");

        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.True(server.Violations.Count == 0, string.Join("\n", server.Violations));
        Assert.Equal(3, server.TurnsServed);
        var offset = Fixtures.Note.IndexOf("community-acquired pneumonia", StringComparison.Ordinal);
        Assert.Contains("J18.9", stdout);
        Assert.Contains($"\"community-acquired pneumonia\" @{offset}+28", stdout);
        Assert.Contains("E11.9", stdout);
        Assert.Contains("I10", stdout);
        Assert.Contains("verify:passed", stdout);
        Assert.Contains("Coded by: agent with model test: 3 model calls, 4500 prompt + 195 completion tokens", stdout);
    }

    static async Task<(int Exit, string Stdout, string Stderr)> RunCli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "symphony.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
