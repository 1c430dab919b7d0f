using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace Symphony.Reliability.Tests;

/// <summary>The server as a real OS process (api, worker or both) on a PostgreSQL database; its output is kept for the assertions.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _output = new();

    ServerProcess(Process process) => _process = process;

    public Uri BaseUrl { get; private init; } = null!;

    public IEnumerable<string> Output => _output;

    public int CountLines(string fragment) => _output.Count(l => l.Contains(fragment, StringComparison.Ordinal));

    public static ServerProcess Start(string connectionString, string role, IDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet", [ServerDll, "--role", role])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServerDll)!,
        };
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["Storage__Provider"] = "postgres";
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["Terminology__LoadAtStartup"] = "false";
        info.Environment["Coding__Icd10CmVersion"] = "2021";
        info.Environment["Coding__SweepInterval"] = "00:00:00.250";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Symphony"] = "Information";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var server = new ServerProcess(process) { BaseUrl = new Uri($"http://127.0.0.1:{port}/") };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits until the HTTP API answers and, for a worker, until its coder is loaded.</summary>
    public async Task WaitReadyAsync(bool coder)
    {
        using var client = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (true)
        {
            Assert.False(_process.HasExited, "the server exited:\n" + string.Join("\n", _output.TakeLast(30)));
            Assert.True(DateTime.UtcNow < deadline, "the server did not start:\n" + string.Join("\n", _output.TakeLast(30)));
            var up = false;
            try { up = (await client.GetAsync("metadata")).IsSuccessStatusCode; } catch (HttpRequestException) { } catch (TaskCanceledException) { }
            if (up && (!coder || CountLines("Coder ready") > 0)) return;
            await Task.Delay(250);
        }
    }

    /// <summary>SIGKILL: no shutdown, no flush — as a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    static string ServerDll { get; } = FindServerDll();

    /// <summary>The server built with the same configuration as these tests (bin/Debug or bin/Release).</summary>
    static string FindServerDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // …/bin/{configuration}/net10.0
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "src", "Symphony.Fhir.Server", "bin", configuration, "net10.0", "Symphony.Fhir.Server.dll");
            if (File.Exists(dll)) return dll;
        }
        throw new FileNotFoundException("Symphony.Fhir.Server.dll not found; build the server first.");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
