using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Symphony.Cli.Bench;

/// <summary>
/// <c>symphony bench worklist --url …</c>: how long the review app's worklist takes to get its first page from a running
/// server. Seeds coded encounters (the walk-through's Synthea note, one encounter per note) unless told not to, waits until
/// they are coded, then loads the first page as the app does — the encounter search, then the notes and their coding
/// Tasks beside the Conditions and Procedures — and prints the time of each load, from the first request to the last answer.
/// </summary>
public static class BenchWorklistCommand
{
    const string FhirJson = "application/fhir+json";
    const string TaskCode = "https://symphony-fhir.dev/CodeSystem/coding-task|code-note";
    const int PageSize = 20; // the app's PAGE_SIZE
    const int MaxPagesPerSearch = 10; // the app's searchAll

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Base URL of a running server", Required = true };
        var seed = new Option<int>("--seed") { Description = "Coded encounters to add before measuring (0: measure what the server holds)", DefaultValueFactory = _ => 1000 };
        var loads = new Option<int>("--loads") { Description = "Times the first page is loaded", DefaultValueFactory = _ => 10 };
        var fixtures = new Option<DirectoryInfo>("--fixtures")
        {
            Description = "Folder with the Patient.json, Encounter.json and DocumentReference.json to seed with",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("docs", "walkthrough")),
        };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the seeded notes' coding", DefaultValueFactory = _ => 1800 };
        var command = new Command("worklist", "The review app's worklist: its first page's searches against a running server, timed")
        {
            url, seed, loads, fixtures, timeout,
        };
        command.SetAction(async (parse, ct) => await RunAsync(new Uri(parse.GetValue(url)!.TrimEnd('/') + "/"), parse.GetValue(seed),
            parse.GetValue(loads), parse.GetValue(fixtures)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), ct));
        return command;
    }

    public static async Task<int> RunAsync(Uri baseUrl, int seed, int loads, DirectoryInfo fixtures, TimeSpan timeout, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(5) };
        await ServerToken.AuthorizeAsync(client, baseUrl, ct);
        if (seed > 0 && !await SeedAsync(client, fixtures, seed, timeout, ct)) return 1;

        var samples = new List<(double Total, int Encounters, int Requests)>();
        var searches = new Dictionary<string, List<double>>();
        for (var i = 0; i < loads; i++)
            samples.Add(await LoadFirstPageAsync(client, searches, ct));
        if (samples[0].Encounters == 0)
        {
            Console.Error.WriteLine("the server holds no encounter: seed some (--seed)");
            return 1;
        }
        var sorted = samples.Select(s => s.Total).Order().ToList();
        Console.WriteLine($"worklist first page ({samples[0].Encounters} encounters, {samples[0].Requests} searches) over {loads} loads: " +
            $"median {sorted[sorted.Count / 2]:F0} ms, max {sorted[^1]:F0} ms; all: {string.Join(", ", sorted.Select(s => s.ToString("F0")))}");
        Console.WriteLine("each search, median: " + string.Join(", ", searches.Select(s => $"{s.Key} {s.Value.Order().ElementAt(s.Value.Count / 2):F0} ms")));
        return 0;
    }

    /// <summary>The first page as the app's worklist.ts reads it; the time from its first request to its last answer.</summary>
    static async Task<(double Total, int Encounters, int Requests)> LoadFirstPageAsync(HttpClient client, Dictionary<string, List<double>> searches, CancellationToken ct)
    {
        var requests = 0;
        void Took(string type, long started)
        {
            lock (searches)
            {
                if (!searches.TryGetValue(type, out var times)) searches[type] = times = [];
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        async Task<List<JsonNode>> SearchAllAsync(string path)
        {
            var searchStarted = Stopwatch.GetTimestamp();
            var found = new List<JsonNode>();
            string? next = path;
            for (var page = 0; next is not null && page < MaxPagesPerSearch; page++)
            {
                Interlocked.Increment(ref requests);
                var bundle = JsonNode.Parse(await client.GetStringAsync(next, ct))!;
                found.AddRange((bundle["entry"]?.AsArray() ?? []).Where(e => e?["search"]?["mode"]?.GetValue<string>() != "include").Select(e => e!["resource"]!));
                next = bundle["link"]?.AsArray().FirstOrDefault(l => l?["relation"]?.GetValue<string>() == "next")?["url"]?.GetValue<string>();
            }
            Took(path[..path.IndexOf('?')], searchStarted);
            return found;
        }

        var started = Stopwatch.GetTimestamp();
        requests++;
        var page = JsonNode.Parse(await client.GetStringAsync($"Encounter?_count={PageSize}&_sort=-_lastUpdated&_include=Encounter:patient", ct))!;
        Took("Encounter", started);
        var encounters = (page["entry"]?.AsArray() ?? [])
            .Where(e => e?["search"]?["mode"]?.GetValue<string>() != "include" && e?["resource"]?["resourceType"]?.GetValue<string>() == "Encounter")
            .Select(e => $"Encounter/{e!["resource"]!["id"]}").ToList();
        if (encounters.Count > 0)
        {
            var refs = string.Join(",", encounters);
            // The notes' Tasks are asked as soon as the notes are known, while the codes are still being read.
            async Task<List<JsonNode>> NotesThenTasksAsync()
            {
                var notes = await SearchAllAsync($"DocumentReference?encounter={refs}&_count=1000");
                return notes.Count == 0 ? notes
                    : await SearchAllAsync($"Task?focus={string.Join(",", notes.Select(n => $"DocumentReference/{n["id"]}"))}&_count=1000");
            }
            await Task.WhenAll(NotesThenTasksAsync(), SearchAllAsync($"Condition?encounter={refs}&_count=1000"), SearchAllAsync($"Procedure?encounter={refs}&_count=1000"));
        }
        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, encounters.Count, requests);
    }

    /// <summary>Stores <paramref name="count"/> encounters with one note each (transaction Bundles of 100) and waits until all are coded.</summary>
    static async Task<bool> SeedAsync(HttpClient client, DirectoryInfo fixtures, int count, TimeSpan timeout, CancellationToken ct)
    {
        JsonNode Fixture(string type) => JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures.FullName, $"{type}.json")))!;
        var patient = Fixture("Patient");
        using (var put = await client.PutAsync($"Patient/{patient["id"]}", new StringContent(patient.ToJsonString(), Encoding.UTF8, FhirJson), ct))
            if (!put.IsSuccessStatusCode) { Console.Error.WriteLine($"PUT Patient: {(int)put.StatusCode}"); return false; }

        // A run tag on every id, so each run adds new encounters to a server that already holds earlier ones.
        var tag = DateTime.UtcNow.ToString("MMddHHmmss");
        var since = Uri.EscapeDataString($"ge{DateTimeOffset.UtcNow.AddSeconds(-5):yyyy-MM-ddTHH:mm:ssZ}");
        var seeding = Stopwatch.StartNew();
        for (var start = 0; start < count; start += 100)
        {
            var entries = new JsonArray();
            for (var i = start; i < Math.Min(count, start + 100); i++)
            {
                var encounter = Fixture("Encounter");
                var note = Fixture("DocumentReference");
                encounter["id"] = $"worklist-{tag}-enc-{i:D5}";
                note["id"] = $"worklist-{tag}-note-{i:D5}";
                note["context"]!["encounter"]![0]!["reference"] = $"Encounter/worklist-{tag}-enc-{i:D5}";
                foreach (var resource in new[] { encounter, note })
                    entries.Add(new JsonObject
                    {
                        ["resource"] = resource,
                        ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"{resource["resourceType"]}/{resource["id"]}" },
                    });
            }
            var bundle = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries };
            using var post = await client.PostAsync("", new StringContent(bundle.ToJsonString(), Encoding.UTF8, FhirJson), ct);
            if (!post.IsSuccessStatusCode) { Console.Error.WriteLine($"transaction Bundle: {(int)post.StatusCode}"); return false; }
        }
        Console.WriteLine($"stored {count} encounters and notes in {seeding.Elapsed.TotalSeconds:F1} s");

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var completed = await CountAsync(client, $"Task?code={TaskCode}&status=completed&_lastUpdated={since}&_count=0", ct);
            var failed = await CountAsync(client, $"Task?code={TaskCode}&status=failed&_lastUpdated={since}&_count=0", ct);
            if (completed + failed >= count)
            {
                Console.WriteLine($"all coded after {seeding.Elapsed.TotalSeconds:F1} s ({failed} failed)");
                return true;
            }
            if (DateTime.UtcNow > deadline)
            {
                Console.Error.WriteLine($"only {completed} of {count} notes coded after {timeout.TotalSeconds:F0} s");
                return false;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    static async Task<int> CountAsync(HttpClient client, string query, CancellationToken ct) =>
        JsonNode.Parse(await client.GetStringAsync(query, ct))!["total"]?.GetValue<int>() ?? 0;
}
