using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Symphony.Cli.Bench;

/// <summary>
/// <c>symphony bench e2e --url … --data …/synthea-bulk-10-patients</c>: the product's main path through a
/// running server — PUT the Synthea Patients, then each note's Encounter and DocumentReference (or, with
/// <c>--bundle</c>, one transaction Bundle per note holding both, as an EHR integration sends them) — and wait
/// until every note's coding Task is done. Prints notes/s accepted and coded, and p50/p99 time from the note's
/// acceptance to its Task's completion (Task.meta.lastUpdated, same clock when the server runs on this machine).
/// Payloads are prepared before the clock starts, so the client's own work is not timed.
/// </summary>
public static partial class BenchE2eCommand
{
    const string FhirJson = "application/fhir+json";
    const string TaskCode = "https://symphony-fhir.dev/CodeSystem/coding-task|code-note";

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Base URL of a running server", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "Synthea bulk NDJSON folder (Patient, Encounter, DocumentReference)", Required = true };
        var notes = new Option<int>("--notes") { Description = "DocumentReferences to send", DefaultValueFactory = _ => 1000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight", DefaultValueFactory = _ => 8 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for coding", DefaultValueFactory = _ => 900 };
        var bundle = new Option<bool>("--bundle") { Description = "Send each note and its Encounter as one transaction Bundle instead of two PUTs" };
        var command = new Command("e2e", "End to end: Synthea notes with their Encounters and Patients through a running server until coded")
        {
            url, data, notes, concurrency, timeout, bundle,
        };
        command.SetAction(async (parse, ct) => await RunAsync(new Uri(parse.GetValue(url)!.TrimEnd('/') + "/"), parse.GetValue(data)!,
            parse.GetValue(notes), parse.GetValue(concurrency), TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(bundle), ct));
        return command;
    }

    public static async Task<int> RunAsync(Uri baseUrl, DirectoryInfo data, int noteCount, int concurrency, TimeSpan timeout, bool bundle, CancellationToken ct)
    {
        // A run tag on every id, so each run codes new notes on a server that already holds earlier runs.
        var tag = DateTime.UtcNow.ToString("MMddHHmmss");
        string Retag(string json) => SyntheaId().Replace(json, m => $"{m.Value}-{tag}");
        var documents = Lines(data, "DocumentReference").Take(noteCount).Select(d => Upload.Of(Retag(d))).ToList();
        var encounters = Lines(data, "Encounter").Select(e => Upload.Of(Retag(e))).ToDictionary(e => e.Reference);
        var patients = Lines(data, "Patient").Select(p => Upload.Of(Retag(p))).ToList();
        // Each note with its Encounter: the Encounter goes first (a note names it as context), each Encounter once.
        var sentEncounters = new HashSet<string>();
        var perNote = documents.Select(d =>
        {
            var encounter = EncounterOf(d.Json) is { } e && encounters.TryGetValue(e, out var found) && sentEncounters.Add(e) ? found : null;
            return (Document: d, Encounter: encounter);
        }).ToList();
        var bundles = bundle ? perNote.Select(n => TransactionBundle(baseUrl, n.Encounter, n.Document)).ToList() : [];

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(5) };
        await ServerToken.AuthorizeAsync(client, baseUrl, ct);
        var serverClock = DateTimeOffset.UtcNow;
        Console.WriteLine($"run {tag}: {patients.Count} patients, {sentEncounters.Count} encounters, {documents.Count} notes to {baseUrl}" +
            (bundle ? " (one transaction Bundle per note)" : " (one PUT per resource)"));

        await ForAllAsync(patients, concurrency, (p, token) => PutAsync(client, p, token), ct);
        var posted = new ConcurrentDictionary<string, DateTimeOffset>();
        var sendStart = DateTimeOffset.UtcNow;
        var start = Stopwatch.StartNew();
        if (bundle)
        {
            await ForAllAsync(Enumerable.Range(0, perNote.Count), concurrency, async (i, token) =>
            {
                using var response = await client.PostAsync("", new StringContent(bundles[i], Encoding.UTF8, FhirJson), token);
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"POST transaction for {perNote[i].Document.Reference}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}");
                posted.TryAdd(perNote[i].Document.Reference, DateTimeOffset.UtcNow);
            }, ct);
        }
        else
        {
            await ForAllAsync(perNote, concurrency, async (note, token) =>
            {
                if (note.Encounter is { } encounter) await PutAsync(client, encounter, token);
                await PutAsync(client, note.Document, token);
                posted.TryAdd(note.Document.Reference, DateTimeOffset.UtcNow);
            }, ct);
        }
        var sent = start.Elapsed;
        Console.WriteLine($"sent in {sent.TotalSeconds:0.0} s: {documents.Count / sent.TotalSeconds:0.0} notes/s accepted (with their encounters; patients sent before)");

        // Progress is asked of the run's own Tasks only: those updated since it started, a range of the last-updated
        // index, so a poll costs the same on a database that holds many earlier runs. The Tasks' code, status and focus
        // are read from them here rather than searched for on the server.
        var since = Uri.EscapeDataString("ge" + serverClock.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffzzz"));
        var latencies = new List<double>();
        DateTimeOffset lastCoded = sendStart;
        var failed = 0;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            await Task.Delay(500, ct);
            if (await CountAsync(client, $"Task?_lastUpdated={since}&_count=0", ct) < documents.Count)
                continue;
            // Time to coded per note: its Task's last update minus the note's 201.
            latencies.Clear();
            failed = 0;
            for (var offset = 0; ; offset += 500)
            {
                var page = JsonNode.Parse(await client.GetStringAsync($"Task?_lastUpdated={since}&_count=500&_offset={offset}", ct))!;
                var entries = page["entry"]?.AsArray() ?? [];
                foreach (var entry in entries)
                {
                    var task = entry!["resource"]!;
                    var focus = task["focus"]?["reference"]?.GetValue<string>() ?? "";
                    if (!posted.TryGetValue(focus, out var at) || !IsCodingTask(task))
                        continue;
                    var done = DateTimeOffset.Parse(task["meta"]!["lastUpdated"]!.GetValue<string>());
                    switch (task["status"]?.GetValue<string>())
                    {
                        case "completed": latencies.Add((done - at).TotalMilliseconds); if (done > lastCoded) lastCoded = done; break;
                        case "failed": failed++; break;
                    }
                }
                if (entries.Count < 500) break;
            }
            if (latencies.Count + failed >= documents.Count)
                break;
        }

        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
        var span = (lastCoded - sendStart).TotalSeconds;
        Console.WriteLine($"coded {latencies.Count}/{documents.Count} notes ({failed} failed) in {span:0.0} s from the first note sent: {latencies.Count / span:0.0} notes/s");
        Console.WriteLine($"time to coded: p50 {Percentile(0.50):0} ms, p99 {Percentile(0.99):0} ms");
        return latencies.Count + failed == documents.Count ? 0 : 1;
    }

    /// <summary>A resource ready to send: its JSON and "Type/id".</summary>
    sealed record Upload(string Json, string Reference)
    {
        public static Upload Of(string json)
        {
            var node = JsonNode.Parse(json)!;
            return new Upload(json, $"{node["resourceType"]}/{node["id"]}");
        }
    }

    static async Task PutAsync(HttpClient client, Upload resource, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, resource.Reference) { Content = new StringContent(resource.Json, Encoding.UTF8, FhirJson) };
        request.Headers.Add("Prefer", "return=minimal");
        using var response = await client.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"PUT {resource.Reference}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    static Task ForAllAsync<T>(IEnumerable<T> items, int concurrency, Func<T, CancellationToken, Task> send, CancellationToken ct) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (item, token) => await send(item, token));

    /// <summary>A transaction Bundle that PUTs the note's Encounter (when it is sent with this note) and the note.</summary>
    static string TransactionBundle(Uri baseUrl, Upload? encounter, Upload document)
    {
        var entries = new JsonArray();
        foreach (var resource in new[] { encounter, document }.OfType<Upload>())
            entries.Add(new JsonObject
            {
                ["fullUrl"] = new Uri(baseUrl, resource.Reference).ToString(),
                ["resource"] = JsonNode.Parse(resource.Json),
                ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = resource.Reference },
            });
        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries }.ToJsonString();
    }

    static bool IsCodingTask(JsonNode task) =>
        task["code"]?["coding"]?.AsArray().Any(c => $"{c?["system"]}|{c?["code"]}" == TaskCode) == true;

    static async Task<int> CountAsync(HttpClient client, string query, CancellationToken ct) =>
        JsonNode.Parse(await client.GetStringAsync(query, ct))!["total"]?.GetValue<int>() ?? 0;

    static IEnumerable<string> Lines(DirectoryInfo data, string type) =>
        File.ReadLines(Path.Combine(data.FullName, $"{type}.000.ndjson")).Where(l => l.Length > 0);

    /// <summary>"Encounter/{id}" from the note's context, as it stands in the note.</summary>
    static string? EncounterOf(string document) =>
        JsonNode.Parse(document)!["context"]?["encounter"]?[0]?["reference"]?.GetValue<string>();

    /// <summary>Synthea's ids (UUIDs) where they stand as an id or after "Patient/", "Encounter/".</summary>
    [GeneratedRegex(@"(?<=""id"":""|Patient/|Encounter/)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex SyntheaId();
}
