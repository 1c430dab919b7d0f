using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace Symphony.Reliability.Tests;

/// <summary>The server as a real OS process (api, worker or both) on a PostgreSQL database; its output is kept for the assertions.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    Process _process;
    readonly ConcurrentQueue<string> _output = new();

    ServerProcess(Process process) => _process = process;

    public Uri BaseUrl { get; private init; } = null!;

    /// <summary>The test client (registered by <c>Auth__Clients__0__*</c>), as the server's built-in authorisation server knows it.</summary>
    public const string ClientId = "test-client";
    public const string ClientSecret = "test-client-secret";

    /// <summary>An access token of this process for the test client, from its token endpoint once it answers (<see cref="WaitReadyAsync"/>).</summary>
    public string Token { get; private set; } = null!;

    readonly string _adminClientFile = Path.Combine(Path.GetTempPath(), $"symphony-admin-{Guid.NewGuid():N}.json");

    /// <summary>A client of this process that sends the test client's token.</summary>
    public HttpClient CreateClient(TimeSpan timeout)
    {
        var client = new HttpClient { BaseAddress = BaseUrl, Timeout = timeout };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

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
        info.Environment["Auth__Clients__0__ClientId"] = ClientId;
        info.Environment["Auth__Clients__0__Secret"] = ClientSecret;
        info.Environment["Auth__Clients__0__Scopes"] = "system/*.cruds";
        var server = new ServerProcess(null!) { BaseUrl = new Uri($"http://127.0.0.1:{port}/") };
        info.Environment["Auth__AdminClientFile"] = server._adminClientFile; // not next to the built server
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info)!;
        server._process = process;
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
            if (up && (!coder || CountLines("Coder ready") > 0))
            {
                Token = await TokenAsync(client);
                return;
            }
            await Task.Delay(250);
        }
    }

    static async Task<string> TokenAsync(HttpClient client)
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = ClientId, ["client_secret"] = ClientSecret,
        });
        using var response = await client.PostAsync("auth/token", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token endpoint: {(int)response.StatusCode} {body}");
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
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
        File.Delete(_adminClientFile);
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
