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
/// running server — PUT the Synthea Patients, then each note's Encounter and DocumentReference — and wait
/// until every note's coding Task is done. Prints notes/s and p50/p99 time from the note's 201 to its
/// Task's completion (Task.meta.lastUpdated, same clock when the server runs on this machine).
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
        var command = new Command("e2e", "End to end: Synthea notes with their Encounters and Patients through a running server until coded")
        {
            url, data, notes, concurrency, timeout,
        };
        command.SetAction(async (parse, ct) => await RunAsync(new Uri(parse.GetValue(url)!.TrimEnd('/') + "/"), parse.GetValue(data)!,
            parse.GetValue(notes), parse.GetValue(concurrency), TimeSpan.FromSeconds(parse.GetValue(timeout)), ct));
        return command;
    }

    public static async Task<int> RunAsync(Uri baseUrl, DirectoryInfo data, int noteCount, int concurrency, TimeSpan timeout, CancellationToken ct)
    {
        // A run tag on every id, so each run codes new notes on a server that already holds earlier runs.
        var tag = DateTime.UtcNow.ToString("MMddHHmmss");
        string Retag(string json) => SyntheaId().Replace(json, m => $"{m.Value}-{tag}");
        var documents = Lines(data, "DocumentReference").Take(noteCount).ToList();
        var encounters = Lines(data, "Encounter").ToDictionary(IdOf);
        var needed = documents.Select(d => EncounterIdOf(d)).ToHashSet();
        var patients = Lines(data, "Patient").ToList();

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(5) };
        var serverClock = DateTimeOffset.UtcNow;
        Console.WriteLine($"run {tag}: {patients.Count} patients, {needed.Count} encounters, {documents.Count} notes to {baseUrl}");

        var start = Stopwatch.StartNew();
        await PutAllAsync(client, patients.Select(Retag), concurrency, null, ct);
        await PutAllAsync(client, needed.Where(encounters.ContainsKey).Select(id => Retag(encounters[id])), concurrency, null, ct);
        var posted = new ConcurrentDictionary<string, DateTimeOffset>();
        var sendStart = DateTimeOffset.UtcNow;
        await PutAllAsync(client, documents.Select(Retag), concurrency, posted, ct);
        var sent = start.Elapsed;
        Console.WriteLine($"sent in {sent.TotalSeconds:0.0} s ({documents.Count / (sent.TotalSeconds):0} notes/s accepted incl. patients and encounters)");

        var since = Uri.EscapeDataString("ge" + serverClock.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffzzz"));
        int completed = 0, failed = 0;
        var deadline = Stopwatch.StartNew();
        while (completed + failed < documents.Count && deadline.Elapsed < timeout)
        {
            await Task.Delay(500, ct);
            completed = await CountAsync(client, $"Task?code={TaskCode}&status=completed&_lastUpdated={since}&_count=0", ct);
            failed = await CountAsync(client, $"Task?code={TaskCode}&status=failed&_lastUpdated={since}&_count=0", ct);
        }

        // Time to coded per note: its Task's last update minus the note's 201.
        var latencies = new List<double>();
        DateTimeOffset lastCoded = sendStart;
        for (var offset = 0; ; offset += 500)
        {
            var page = JsonNode.Parse(await client.GetStringAsync($"Task?code={TaskCode}&status=completed&_lastUpdated={since}&_count=500&_offset={offset}", ct))!;
            var entries = page["entry"]?.AsArray() ?? [];
            foreach (var entry in entries)
            {
                var task = entry!["resource"]!;
                var focus = task["focus"]?["reference"]?.GetValue<string>() ?? "";
                var done = DateTimeOffset.Parse(task["meta"]!["lastUpdated"]!.GetValue<string>());
                if (posted.TryGetValue(focus, out var at)) { latencies.Add((done - at).TotalMilliseconds); if (done > lastCoded) lastCoded = done; }
            }
            if (entries.Count < 500) break;
        }
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
        var span = (lastCoded - sendStart).TotalSeconds;
        Console.WriteLine($"coded {latencies.Count}/{documents.Count} notes ({failed} failed) in {span:0.0} s from the first note sent: {latencies.Count / span:0.0} notes/s");
        Console.WriteLine($"time to coded: p50 {Percentile(0.50):0} ms, p99 {Percentile(0.99):0} ms");
        return latencies.Count + failed == documents.Count ? 0 : 1;
    }

    static async Task PutAllAsync(HttpClient client, IEnumerable<string> resources, int concurrency, ConcurrentDictionary<string, DateTimeOffset>? posted, CancellationToken ct) =>
        await Parallel.ForEachAsync(resources, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (json, token) =>
        {
            var node = JsonNode.Parse(json)!;
            var reference = $"{node["resourceType"]}/{node["id"]}";
            var response = await client.PutAsync(reference, new StringContent(json, Encoding.UTF8, FhirJson), token);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"PUT {reference}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(token)}");
            posted?.TryAdd(reference, DateTimeOffset.UtcNow);
        });

    static async Task<int> CountAsync(HttpClient client, string query, CancellationToken ct) =>
        JsonNode.Parse(await client.GetStringAsync(query, ct))!["total"]?.GetValue<int>() ?? 0;

    static IEnumerable<string> Lines(DirectoryInfo data, string type) =>
        File.ReadLines(Path.Combine(data.FullName, $"{type}.000.ndjson")).Where(l => l.Length > 0);

    static string IdOf(string json) => JsonNode.Parse(json)!["id"]!.GetValue<string>();

    static string EncounterIdOf(string document) =>
        JsonNode.Parse(document)!["context"]?["encounter"]?[0]?["reference"]?.GetValue<string>()?.Split('/')[^1] ?? "";

    /// <summary>Synthea's ids (UUIDs) where they stand as an id or after "Patient/", "Encounter/".</summary>
    [GeneratedRegex(@"(?<=""id"":""|Patient/|Encounter/)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex SyntheaId();
}
