using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Tests.Infrastructure;

namespace Symphony.Fhir.Server.Tests.Auth;

/// <summary>
/// Interop with a client written by others: the fhirclient npm library's Node adapter (tests/smart-app, installed with
/// <c>npm ci</c> on first use) does a standalone launch against the server on Kestrel; the test is the user's browser,
/// signing in on the login form, and the app answers with the patient it read with its token.
/// </summary>
public sealed class SqliteFhirClientInteropTests
{
    const string PatientId = "interop-patient";

    [Fact]
    public async Task GivenTheFhirclientLibrary_WhenItLaunchesStandalone_ThenItReadsThePatientInContext()
    {
        await using var backend = new SqliteTestBackend();
        var settings = new Dictionary<string, string?>(backend.ServerSettings)
        {
            ["role"] = "api",
            ["Terminology:LoadAtStartup"] = "false",
            ["urls"] = "http://127.0.0.1:0",
            ["Auth:Users:0:UserName"] = "interop-user",
            ["Auth:Users:0:PasswordHash"] = SecretHash.Of(AppLaunchFixture.Password),
            ["Auth:Users:0:FhirUser"] = $"Patient/{PatientId}",
            ["Auth:Users:0:Scopes"] = "user/*.rs",
        };
        await using var factory = InMemoryServer.Start(settings);
        factory.UseKestrel(0);
        factory.StartServer();
        var fhirBase = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("localhost", "127.0.0.1");
        using (var admin = new HttpClient { BaseAddress = new Uri(fhirBase + "/") })
        {
            admin.WithToken(await TestAuth.TokenAsync(admin));
            var put = await admin.PutAsync($"Patient/{PatientId}", new StringContent(
                $$"""{"resourceType":"Patient","id":"{{PatientId}}","name":[{"family":"Interop","given":["Ida"]}]}""", System.Text.Encoding.UTF8, "application/fhir+json"));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var appDirectory = SmartAppDirectory();
        if (!Directory.Exists(Path.Combine(appDirectory, "node_modules", "fhirclient")))
            Assert.Equal(0, await RunAsync("npm", "ci --no-audit --no-fund", appDirectory, TimeSpan.FromMinutes(8)));
        using var app = Process.Start(new ProcessStartInfo("node", "app.js")
        {
            WorkingDirectory = appDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            Environment = { ["FHIR_BASE"] = fhirBase, ["CLIENT_ID"] = "interop-app" },
        })!;
        try
        {
            var port = (await app.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)))!.Split(' ')[1];
            var appBase = $"http://127.0.0.1:{port}";
            var store = factory.Services.GetRequiredService<AuthStore>();
            Assert.True(await store.AddPublicClientAsync("interop-app", "openid fhirUser launch/patient patient/*.rs", appBase + "/app"));

            using var browser = new Browser(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(fhirBase) });
            var launch = await browser.Http.GetAsync(appBase + "/launch");
            Assert.True(launch.StatusCode == HttpStatusCode.Found, await launch.Content.ReadAsStringAsync());
            var authorize = launch.Headers.Location!;
            Assert.StartsWith(fhirBase + "/auth/authorize?", authorize.ToString());

            var backToApp = await browser.SignInAsync(authorize.ToString(), "interop-user");
            Assert.StartsWith(appBase + "/app?code=", backToApp.Headers.Location?.ToString());
            var answer = await browser.Http.GetAsync(backToApp.Headers.Location);
            var body = await answer.Content.ReadAsStringAsync();

            Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
            var read = JsonDocument.Parse(body).RootElement;
            Assert.Equal(PatientId, read.GetProperty("patient").GetString());
            Assert.Equal($"Patient/{PatientId}", read.GetProperty("fhirUser").GetString());
            Assert.Equal("Interop", read.GetProperty("resource").GetProperty("name")[0].GetProperty("family").GetString());
        }
        finally
        {
            app.StandardInput.Close();
            if (!app.WaitForExit(10_000))
                app.Kill();
        }
    }

    static string SmartAppDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "smart-app");
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
                return candidate;
        }
        throw new DirectoryNotFoundException("tests/smart-app not found above " + AppContext.BaseDirectory);
    }

    static async Task<int> RunAsync(string file, string arguments, string directory, TimeSpan limit)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(limit);
        Assert.True(process.ExitCode == 0, $"{file} {arguments}: {await output}{await error}");
        return process.ExitCode;
    }
}
