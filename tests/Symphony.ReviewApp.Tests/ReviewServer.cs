using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Symphony.ReviewApp.Tests;

/// <summary>
/// The built server as a real process on a fresh embedded (SQLite) database, with a seeded user for the login page and
/// an admin client the tests seed and check through; it serves the built review app at /review/.
/// </summary>
public sealed class ReviewServer : IAsyncDisposable
{
    public const string UserName = "coder";
    public const string Password = "review-e2e-password";
    public const string FhirUser = "Practitioner/e2e-coder";
    const string ClientId = "e2e-admin";
    const string ClientSecret = "e2e-admin-secret";

    readonly Process _process;
    readonly ConcurrentQueue<string> _output = new();
    readonly string _dataDir;

    public Uri BaseUrl { get; }
    public HttpClient Admin { get; private set; } = null!;

    ReviewServer(Process process, Uri baseUrl, string dataDir) { _process = process; BaseUrl = baseUrl; _dataDir = dataDir; }

    public string RecentOutput => string.Join("\n", _output.TakeLast(40));

    /// <param name="userScopes">What the seeded user may grant the app.</param>
    public static async Task<ReviewServer> StartAsync(string userScopes, IDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var dataDir = Directory.CreateTempSubdirectory("symphony-review-e2e-").FullName;
        var info = new ProcessStartInfo("dotnet", [ServerDll])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServerDll)!,
        };
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["Storage__SqlitePath"] = Path.Combine(dataDir, "symphony.db");
        info.Environment["Auth__AdminClientFile"] = Path.Combine(dataDir, "admin-client.json");
        info.Environment["Coding__SweepInterval"] = "00:00:00.250";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Symphony"] = "Information";
        info.Environment["Auth__Clients__0__ClientId"] = ClientId;
        info.Environment["Auth__Clients__0__Secret"] = ClientSecret;
        info.Environment["Auth__Clients__0__Scopes"] = "system/*.cruds";
        info.Environment["Auth__Users__0__UserName"] = UserName;
        info.Environment["Auth__Users__0__PasswordHash"] = Symphony.Fhir.Server.Auth.SecretHash.Of(Password);
        info.Environment["Auth__Users__0__FhirUser"] = FhirUser;
        info.Environment["Auth__Users__0__Scopes"] = userScopes;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var server = new ReviewServer(process, new Uri($"http://127.0.0.1:{port}/"), dataDir);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitReadyAsync();
        return server;
    }

    async Task WaitReadyAsync()
    {
        using var probe = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (true)
        {
            Assert.False(_process.HasExited, "the server exited:\n" + RecentOutput);
            Assert.True(DateTime.UtcNow < deadline, "the server did not start:\n" + RecentOutput);
            try
            {
                if ((await probe.GetAsync("metadata")).IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        using var token = await probe.PostAsync("auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = ClientId, ["client_secret"] = ClientSecret,
        }));
        var body = await token.Content.ReadAsStringAsync();
        Assert.True(token.IsSuccessStatusCode, $"token endpoint: {(int)token.StatusCode} {body}");
        Admin = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromMinutes(2) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["access_token"]!.GetValue<string>());
    }

    /// <summary>
    /// Stores the fixture's patient, and its encounter and note under ids ending in <paramref name="suffix"/> (the same real
    /// note, once per test, so each test reviews codes no other test decided on); returns the encounter id.
    /// </summary>
    public async Task<(string Encounter, string Note)> SeedAsync(string suffix)
    {
        var patient = Fixture("Patient");
        var encounter = Fixture("Encounter");
        var note = Fixture("DocumentReference");
        var encounterId = $"{encounter["id"]!.GetValue<string>()[..23]}-{suffix}";
        var noteId = $"{note["id"]!.GetValue<string>()[..23]}-{suffix}";
        encounter["id"] = encounterId;
        note["id"] = noteId;
        note["context"]!["encounter"]![0]!["reference"] = $"Encounter/{encounterId}";
        foreach (var resource in new[] { patient, encounter, note })
        {
            using var put = await Admin.PutAsync($"{resource["resourceType"]}/{resource["id"]}",
                new StringContent(resource.ToJsonString(), Encoding.UTF8, "application/fhir+json"));
            Assert.True(put.IsSuccessStatusCode, $"PUT {resource["resourceType"]}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }
        return (encounterId, noteId);
    }

    /// <summary>Waits until the note's coding Task is completed (a fresh server loads its coder first).</summary>
    public async Task WaitCodedAsync(string noteId, int minutes = 4)
    {
        var deadline = DateTime.UtcNow.AddMinutes(minutes);
        while (true)
        {
            var bundle = await GetAsync($"Task?focus=DocumentReference/{noteId}");
            var status = bundle["entry"]?.AsArray().FirstOrDefault()?["resource"]?["status"]?.GetValue<string>();
            if (status == "completed") return;
            Assert.NotEqual("failed", status);
            Assert.True(DateTime.UtcNow < deadline, $"DocumentReference/{noteId} was not coded in time:\n{RecentOutput}");
            await Task.Delay(500);
        }
    }

    /// <summary>A read or search through the FHIR API with the admin client's token.</summary>
    public async Task<JsonNode> GetAsync(string path)
    {
        using var response = await Admin.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The resources of a search (one page of up to 1000).</summary>
    public async Task<List<JsonNode>> SearchAsync(string path) =>
        ((await GetAsync(path))["entry"]?.AsArray() ?? []).Select(e => e!["resource"]!).ToList();

    static JsonNode Fixture(string type) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", $"{type}.json")))!;

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        Admin?.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    static string ServerDll { get; } = FindServerDll();

    /// <summary>The server built with the same configuration as these tests (bin/Debug or bin/Release), with the review app in its wwwroot.</summary>
    static string FindServerDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "src", "Symphony.Fhir.Server", "bin", configuration, "net10.0", "Symphony.Fhir.Server.dll");
            if (File.Exists(dll)) return dll;
        }
        throw new FileNotFoundException("Symphony.Fhir.Server.dll not found; build the server first.");
    }

    static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
