using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Symphony.Reliability.Tests;

/// <summary>
/// The README's walk-through, run as written: its shell block, with bash from the repository root, against a
/// fresh server process on the embedded SQLite default (a new database, the terminology loading in the background).
/// </summary>
public sealed partial class WalkthroughTests
{
    const string Heading = "## Walk-through";

    [Fact]
    public async Task GivenAFreshEmbeddedServer_WhenTheReadmeWalkthroughRuns_ThenItShowsCodedConditionsWithTheirEvidenceInTheNote()
    {
        var root = RepositoryRoot();
        var script = WalkthroughBlock(Path.Combine(root, "README.md"));
        var data = Directory.CreateTempSubdirectory("symphony-walkthrough-");
        try
        {
            // The defaults of `dotnet run`, but for the database file: ServerProcess's PostgreSQL settings are overridden.
            var embedded = new Dictionary<string, string>
            {
                ["Storage__Provider"] = "sqlite",
                ["Storage__SqlitePath"] = Path.Combine(data.FullName, "symphony.db"),
                ["Terminology__LoadAtStartup"] = "true",
                ["Coding__Icd10CmVersion"] = "",
                ["Coding__SweepInterval"] = "00:00:01",
                ["Auth__AdminClientFile"] = "", // the default, as with `dotnet run`: admin-client.json beside the database
            };
            await using var server = ServerProcess.Start(connectionString: "", role: "both", embedded);
            await server.WaitReadyAsync(coder: false); // "while the server runs": it answers /metadata
            // The first start writes the admin client's credentials once it listens.
            var adminClient = Path.Combine(data.FullName, "admin-client.json");
            for (var waited = 0; !File.Exists(adminClient) && waited < 600; waited++) await Task.Delay(100);
            Assert.True(File.Exists(adminClient), "no admin-client.json in the data folder:\n" + string.Join("\n", server.Output.TakeLast(30)));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(adminClient));

            var scriptFile = Path.Combine(data.FullName, "walkthrough.sh");
            await File.WriteAllTextAsync(scriptFile, script);
            var (exitCode, output) = await RunBashAsync(scriptFile, root, server.BaseUrl.ToString().TrimEnd('/'), adminClient);
            var context = $"walk-through output:\n{output}\nserver output:\n{string.Join("\n", server.Output.TakeLast(40))}";

            Assert.True(exitCode == 0, $"exit code {exitCode}\n{context}");
            var lines = output.Split('\n', StringSplitOptions.TrimEntries);
            foreach (var stored in new[] { "Patient/", "Encounter/", "DocumentReference/" })
                Assert.True(lines.Any(l => l.StartsWith("201 " + stored, StringComparison.Ordinal)), $"{stored} not created\n{context}");
            Assert.True(lines.Any(l => l.StartsWith("Task completed", StringComparison.Ordinal)), context);

            var conditions = lines.Select(l => ConditionLine().Match(l)).Where(m => m.Success).Select(m => m.Groups["code"].Value).ToList();
            Assert.True(conditions.Count > 0, $"no coded Condition\n{context}");
            Assert.True(lines.Any(l => l.StartsWith("Claim      diagnosis 1: ", StringComparison.Ordinal)), $"no Claim\n{context}");

            // Every Condition has evidence, and every quoted span is the note's own text at the offset given.
            var note = NoteText(Path.Combine(root, "docs", "walkthrough", "DocumentReference.json"));
            var evidence = lines.Select(l => EvidenceLine().Match(l)).Where(m => m.Success).ToList();
            Assert.True(evidence.Count > 0, $"no evidence\n{context}");
            foreach (var span in evidence)
            {
                var (offset, length) = (int.Parse(span.Groups["offset"].Value), int.Parse(span.Groups["length"].Value));
                Assert.True(offset + length <= note.Length, $"span past the note's end: {span.Value}");
                Assert.Equal(span.Groups["quote"].Value, note.Substring(offset, length));
                Assert.Contains(span.Groups["code"].Value, conditions);
            }
            Assert.All(conditions, code => Assert.Contains(evidence, span => span.Groups["code"].Value == code));
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    /// <summary>The first ```sh block under the walk-through heading.</summary>
    static string WalkthroughBlock(string readme)
    {
        var lines = File.ReadAllLines(readme);
        var heading = Array.FindIndex(lines, l => l.Trim() == Heading);
        Assert.True(heading >= 0, $"README.md has no '{Heading}' heading");
        var start = Array.FindIndex(lines, heading, l => l.Trim() == "```sh");
        Assert.True(start > heading, "no ```sh block under the walk-through heading");
        var end = Array.FindIndex(lines, start + 1, l => l.Trim() == "```");
        Assert.True(end > start, "the walk-through's ```sh block is not closed");
        return string.Join("\n", lines[(start + 1)..end]) + "\n";
    }

    static async Task<(int ExitCode, string Output)> RunBashAsync(string scriptFile, string workingDirectory, string baseUrl, string adminClient)
    {
        var info = new ProcessStartInfo("bash", [scriptFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.Environment["BASE"] = baseUrl;
        info.Environment["ADMIN"] = adminClient;
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10)); // the block itself gives up on the Task after 5
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            lock (output) Assert.Fail("the walk-through did not finish:\n" + output);
        }
        process.WaitForExit(); // drains the redirected output
        lock (output) return (process.ExitCode, output.ToString());
    }

    /// <summary>The note's text as the server reads it: the attachment's data, base64, UTF-8.</summary>
    static string NoteText(string documentReference)
    {
        var data = (string)JsonNode.Parse(File.ReadAllText(documentReference))!["content"]![0]!["attachment"]!["data"]!;
        return Encoding.UTF8.GetString(Convert.FromBase64String(data));
    }

    static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Symphony.Fhir.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("Symphony.Fhir.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>"Condition  N39.0    Urinary tract infection, site not specified" (an ICD-10-CM code).</summary>
    [GeneratedRegex(@"^Condition\s+(?<code>[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?)\s+\S")]
    private static partial Regex ConditionLine();

    /// <summary>Evidence   N39.0    "urinary tract infection" at offset 719, length 23</summary>
    [GeneratedRegex(@"^Evidence\s+(?<code>\S+)\s+""(?<quote>.*)"" at offset (?<offset>\d+), length (?<length>\d+)$")]
    private static partial Regex EvidenceLine();
}
