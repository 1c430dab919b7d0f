using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Symphony.Reliability.Tests;

/// <summary>
/// One terminology for the whole server: api and worker processes on PostgreSQL code with the releases stored in the
/// database, and a release imported with the CLI while they run is used for the next note — no restart.
/// </summary>
public sealed class TerminologyImportTests(ITestOutputHelper output)
{
    [PostgresFact]
    public async Task GivenApiAndWorkerRunning_WhenANewerIcd10CmReleaseIsImported_ThenTheNextNoteIsCodedWithItWithoutARestart()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var release = ReleaseFolder();
        try
        {
            await ImportAsync(release, "2024", db.ConnectionString);
            var settings = new Dictionary<string, string>
            {
                ["Coding__Icd10CmVersion"] = "", // chosen by encounter date
                ["Terminology__LoadAtStartup"] = "true",
                ["Terminology__ImportShipped"] = "false", // only what the test imports
            };
            await using var api = ServerProcess.Start(db.ConnectionString, "api", settings);
            await using var worker = ServerProcess.Start(db.ConnectionString, "worker", settings);
            await Task.WhenAll(api.WaitReadyAsync(coder: false), worker.WaitReadyAsync(coder: true));
            using var client = api.CreateClient(TimeSpan.FromMinutes(1));

            var (first, second) = TwoNotes();
            var firstNote = await PutNoteAsync(client, first, new DateOnly(2024, 3, 1)); // FY2024
            await WaitAsync(() => TaskStatusAsync(db, firstNote), "completed", worker);
            var firstVersions = await ConditionVersionsAsync(db, firstNote);
            Assert.NotEmpty(firstVersions);
            Assert.All(firstVersions, v => Assert.Equal("2024", v));
            Assert.Contains("Coded with ICD-10-CM 2024", await TaskNotesAsync(db, firstNote));

            // A newer release, imported while both run (the same content under the FY2026 label).
            var generationChanges = worker.CountLines("Terminology: generation");
            await ImportAsync(release, "2026", db.ConnectionString);
            var imported = Stopwatch.StartNew();
            await WaitAsync(() => Task.FromResult(worker.CountLines("Terminology: generation") > generationChanges ? "seen" : ""), "seen", worker, TimeSpan.FromSeconds(10));
            await WaitAsync(async () => (await client.GetAsync("CodeSystem/$lookup?system=http://hl7.org/fhir/sid/icd-10-cm&version=2026&code=J18.9")).StatusCode.ToString(), "OK", api, TimeSpan.FromSeconds(10));
            output.WriteLine($"worker and api follow the import {imported.Elapsed.TotalSeconds:F1} s after it committed");

            var secondNote = await PutNoteAsync(client, second, new DateOnly(2025, 11, 15)); // FY2026
            await WaitAsync(() => TaskStatusAsync(db, secondNote), "completed", worker);
            var versions = await ConditionVersionsAsync(db, secondNote);
            Assert.NotEmpty(versions);
            Assert.All(versions, v => Assert.Equal("2026", v));
            Assert.Contains("Coded with ICD-10-CM 2026", await TaskNotesAsync(db, secondNote));
            Assert.All(await ConditionVersionsAsync(db, firstNote), v => Assert.Equal("2024", v)); // what was coded stays as it was
            Assert.Equal(1, worker.CountLines("Coder ready")); // the same worker process, never restarted
        }
        finally
        {
            Directory.Delete(release, recursive: true);
        }
    }

    [PostgresFact]
    public async Task GivenABurstOfNotes_WhenANewerReleaseIsImportedDuringIt_ThenEveryNoteAcceptedAfterTheImportIsCodedWithIt_AndNoneFails()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var release = ReleaseFolder();
        try
        {
            await ImportAsync(release, "2024", db.ConnectionString);
            var settings = new Dictionary<string, string>
            {
                ["Coding__Icd10CmVersion"] = "",
                ["Terminology__LoadAtStartup"] = "true",
                ["Terminology__ImportShipped"] = "false",
            };
            await using var api = ServerProcess.Start(db.ConnectionString, "api", settings);
            await using var worker = ServerProcess.Start(db.ConnectionString, "worker", settings);
            await Task.WhenAll(api.WaitReadyAsync(coder: false), worker.WaitReadyAsync(coder: true));
            using var client = api.CreateClient(TimeSpan.FromMinutes(1));

            // Notes of FY2026 encounters arrive one after another while the FY2026 release is imported.
            var (template, _) = TwoNotes();
            var accepted = new List<(string Note, DateTime At)>();
            DateTime? importCommitted = null;
            using var stop = new CancellationTokenSource();
            var burst = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var resources = template.Select(r => r.DeepClone()).ToList();
                    resources[1]["id"] = $"burst-encounter-{i}";
                    resources[2]["id"] = $"burst-note-{i}";
                    resources[2]["context"]!["encounter"]![0]!["reference"] = $"Encounter/burst-encounter-{i}";
                    var note = await PutNoteAsync(client, resources, new DateOnly(2025, 11, 15));
                    lock (accepted) accepted.Add((note, DateTime.UtcNow));
                }
            });
            await Task.Delay(TimeSpan.FromSeconds(2));
            await ImportAsync(release, "2026", db.ConnectionString);
            importCommitted = DateTime.UtcNow;
            await Task.Delay(TimeSpan.FromSeconds(5));
            stop.Cancel();
            await burst;

            foreach (var (note, _) in accepted) await WaitAsync(() => TaskStatusAsync(db, note), "completed", worker);
            var before = accepted.Where(a => a.At < importCommitted).ToList();
            var after = accepted.Where(a => a.At > importCommitted).ToList();
            var versionsBefore = new List<string>();
            foreach (var (note, _) in before) versionsBefore.AddRange(await ConditionVersionsAsync(db, note));
            foreach (var (note, _) in after)
            {
                var versions = await ConditionVersionsAsync(db, note);
                Assert.NotEmpty(versions);
                Assert.All(versions, v => Assert.Equal("2026", v));
            }
            output.WriteLine($"{accepted.Count} notes: {before.Count} accepted before the import committed ({versionsBefore.Count(v => v == "2024")} codes with 2024, " +
                $"{versionsBefore.Count(v => v == "2026")} with 2026: those still queued when it did), {after.Count} after it, all coded with 2026");
            Assert.NotEmpty(after);
            Assert.Contains("2024", versionsBefore);
        }
        finally
        {
            Directory.Delete(release, recursive: true);
        }
    }

    /// <summary>The shipped 2024 order file with the index: a full release that can be imported under any version label.</summary>
    static string ReleaseFolder()
    {
        var folder = Directory.CreateTempSubdirectory("symphony-release-").FullName;
        var shipped = Path.Combine(RepositoryRoot(), "terminology", "icd10cm");
        foreach (var file in new[] { "icd10cm-2024-order.zip", "icd10cm-index-2026-april.zip" })
            File.Copy(Path.Combine(shipped, file), Path.Combine(folder, file));
        return folder;
    }

    /// <summary>`symphony terminology import FOLDER --version V --connection …`, as an administrator runs it.</summary>
    async Task ImportAsync(string folder, string version, string connectionString)
    {
        var info = new ProcessStartInfo("dotnet", [CliDll(), "terminology", "import", folder, "--version", version, "--connection", connectionString])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(4));
        output.WriteLine($"import {version}: {await stdout}{await stderr}");
        Assert.True(process.ExitCode == 0, $"import failed ({process.ExitCode}): {await stdout}{await stderr}");
    }

    /// <summary>Stores the note (after its patient and encounter) with its encounter on <paramref name="date"/>; returns the note's id.</summary>
    static async Task<string> PutNoteAsync(HttpClient client, List<JsonNode> resources, DateOnly date)
    {
        var start = date.ToString("yyyy-MM-dd") + "T09:00:00+00:00";
        foreach (var node in resources)
        {
            switch ((string)node["resourceType"]!)
            {
                case "Encounter":
                    node["period"] = new JsonObject { ["start"] = start, ["end"] = date.ToString("yyyy-MM-dd") + "T10:00:00+00:00" };
                    break;
                case "DocumentReference":
                    node["date"] = start;
                    node["content"] = new JsonArray(new JsonObject { ["attachment"] = new JsonObject { ["contentType"] = "text/plain", ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(NoteText)) } });
                    if (node["context"]?["period"] is not null) node["context"]!["period"] = new JsonObject { ["start"] = start };
                    break;
            }
            var response = await client.PutAsync($"{node["resourceType"]}/{node["id"]}", new StringContent(node.ToJsonString(), Encoding.UTF8, "application/fhir+json"));
            Assert.True(response.IsSuccessStatusCode, $"{node["resourceType"]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return (string)resources.Last()["id"]!;
    }

    // Diagnoses every ICD-10-CM release has, so each note gets Conditions whatever release codes it.
    const string NoteText = "Assessment: community acquired pneumonia. Essential hypertension, stable on treatment.";

    static async Task<string> TaskStatusAsync(PostgresDatabase db, string noteId) =>
        (await db.ColumnAsync($"SELECT content->>'status' FROM resource JOIN resource_history USING (resource_type, id, version_id) WHERE resource_type = 'Task' AND content->'focus'->>'reference' = 'DocumentReference/{noteId}'")).SingleOrDefault() ?? "";

    static async Task<string> TaskNotesAsync(PostgresDatabase db, string noteId) => string.Join("\n", await db.ColumnAsync(
        $"SELECT n->>'text' FROM resource JOIN resource_history USING (resource_type, id, version_id), jsonb_array_elements(content->'note') n WHERE resource_type = 'Task' AND content->'focus'->>'reference' = 'DocumentReference/{noteId}'"));

    static Task<List<string>> ConditionVersionsAsync(PostgresDatabase db, string noteId) =>
        db.ColumnAsync($"""
            SELECT c->>'version' FROM resource JOIN resource_history USING (resource_type, id, version_id), jsonb_array_elements(content->'code'->'coding') c
            WHERE resource_type = 'Condition' AND content->'evidence'->0->'detail'->0->>'reference' = 'DocumentReference/{noteId}'
              AND c->>'system' = 'http://hl7.org/fhir/sid/icd-10-cm'
            """);

    static async Task WaitAsync(Func<Task<string>> value, string expected, ServerProcess server, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromMinutes(2));
        var last = "";
        while ((last = await value()) != expected)
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"expected '{expected}', last '{last}'; server output:\n" + string.Join("\n", server.Output.TakeLast(40)));
            await Task.Delay(200);
        }
    }

    /// <summary>Two Synthea notes of different encounters, each with its patient and encounter first.</summary>
    static (List<JsonNode> First, List<JsonNode> Second) TwoNotes()
    {
        var encounters = Lines("Encounter").ToDictionary(l => (string)JsonNode.Parse(l)!["id"]!);
        var patients = Lines("Patient").ToDictionary(l => (string)JsonNode.Parse(l)!["id"]!);
        var notes = new List<List<JsonNode>>();
        foreach (var line in Lines("DocumentReference"))
        {
            var note = JsonNode.Parse(line)!;
            var encounterId = ((string)note["context"]!["encounter"]![0]!["reference"]!).Split('/')[^1];
            var patientId = ((string)note["subject"]!["reference"]!).Split('/')[^1];
            if (!encounters.TryGetValue(encounterId, out var encounter) || notes.Any(n => (string)n[1]["id"]! == encounterId)) continue;
            notes.Add([JsonNode.Parse(patients[patientId])!, JsonNode.Parse(encounter)!, note]);
            if (notes.Count == 2) break;
        }
        return (notes[0], notes[1]);
    }

    static IEnumerable<string> Lines(string type)
    {
        var path = Path.Combine(RepositoryRoot(), "tests", "Symphony.Fhir.Server.Tests", "fixtures", "synthea", $"{type}.ndjson.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) if (line.Length > 0) lines.Add(line);
        return lines;
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Symphony.Fhir.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }

    /// <summary>The CLI built with the same configuration as these tests.</summary>
    internal static string CliDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.Combine(RepositoryRoot(), "src", "Symphony.Cli", "bin", configuration, "net10.0", "symphony.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("symphony.dll not found; build the solution first.", dll);
    }
}
