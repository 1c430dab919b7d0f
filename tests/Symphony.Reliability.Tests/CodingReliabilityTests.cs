using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Symphony.Reliability.Tests;

/// <summary>
/// The coding jobs under failure, with real server processes on a real PostgreSQL: a crash right after a
/// note is accepted, a worker killed while it holds claimed requests, two workers sharing the queue, and
/// PostgreSQL itself crashing and restarting in the middle of a burst.
/// </summary>
public sealed class PostgresCodingReliabilityTests(ITestOutputHelper output)
{
    const string DoneNotes = "SELECT count(*) FROM coding_request WHERE focus_type = 'DocumentReference' AND status = 'done'";

    [PostgresFact]
    public async Task GivenTheServerIsKilledRightAfterA201_WhenItRestarts_ThenTheNoteIsCoded()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var notes = Notes(1);
        await using (var api = ServerProcess.Start(db.ConnectionString, "api"))
        {
            await api.WaitReadyAsync(coder: false);
            var created = await PutAsync(api, notes);
            Assert.Equal(HttpStatusCode.Created, created.Last());
            api.Kill(); // SIGKILL right after the 201 of the note: nothing has coded it
        }
        Assert.Equal(0, await db.ScalarAsync<int>(DoneNotes));

        await using var restarted = ServerProcess.Start(db.ConnectionString, "both");
        await WaitAsync(async () => await db.ScalarAsync<int>(DoneNotes) == 1, restarted);

        await AssertCodedOnceAsync(db, NoteCount(notes));
    }

    [PostgresFact]
    public async Task GivenAWorkerKilledWhileItHoldsClaimedRequests_WhenAnotherWorkerRuns_ThenEveryNoteIsCodedOnce()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var notes = Notes(8);
        var quickLease = new Dictionary<string, string> { ["Coding__Lease"] = "00:00:05", ["Coding__BatchSize"] = "4" };
        await using var api = ServerProcess.Start(db.ConnectionString, "api");
        await using var doomed = ServerProcess.Start(db.ConnectionString, "worker", quickLease);
        await Task.WhenAll(api.WaitReadyAsync(coder: false), doomed.WaitReadyAsync(coder: true));

        await PutAsync(api, notes);
        await WaitAsync(() => Task.FromResult(doomed.CountLines("Claimed") > 0), doomed);
        doomed.Kill();
        var orphaned = await db.ColumnAsync("SELECT id FROM coding_request WHERE status = 'running'");

        await using var survivor = ServerProcess.Start(db.ConnectionString, "worker", quickLease);
        await WaitAsync(async () => await db.ScalarAsync<int>(DoneNotes) == NoteCount(notes), survivor);

        await AssertCodedOnceAsync(db, NoteCount(notes));
        foreach (var id in orphaned) // what the killed worker held was claimed again after its lease and finished
            Assert.Equal("done", (await db.ColumnAsync($"SELECT status FROM coding_request WHERE id = '{id}'")).Single());
    }

    [PostgresFact]
    public async Task GivenTwoWorkerProcesses_WhenABurstOfNotesArrives_ThenBothCodeFromTheSameQueue()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        // One request per drain and a burst of 24: each drain is a job either worker may take, so one worker taking them all
        // would take a broken other worker, not bad luck.
        var notes = Notes(24);
        var smallBatches = new Dictionary<string, string> { ["Coding__BatchSize"] = "1" };
        await using var api = ServerProcess.Start(db.ConnectionString, "api");
        await using var first = ServerProcess.Start(db.ConnectionString, "worker", smallBatches);
        await using var second = ServerProcess.Start(db.ConnectionString, "worker", smallBatches);
        await Task.WhenAll(api.WaitReadyAsync(coder: false), first.WaitReadyAsync(coder: true), second.WaitReadyAsync(coder: true));

        await PutAsync(api, notes);
        await WaitAsync(async () => await db.ScalarAsync<int>(DoneNotes) == NoteCount(notes), first);

        await AssertCodedOnceAsync(db, NoteCount(notes));
        var byFirst = first.CountLines("Coded DocumentReference/");
        var bySecond = second.CountLines("Coded DocumentReference/");
        Assert.True(byFirst > 0 && bySecond > 0, $"first worker coded {byFirst}, second {bySecond}; first worker's output:\n"
            + string.Join("\n", first.Output.TakeLast(40)));
        Assert.Equal(NoteCount(notes), byFirst + bySecond);
    }

    [PrivatePostgresFact]
    public async Task GivenPostgreSqlCrashesAndRestartsDuringABurst_WhenItIsBack_ThenEveryAcceptedNoteIsCodedOnce()
    {
        await using var postgres = await PrivatePostgres.StartAsync(); // its own server: the shared one stays up for other tests
        await using var db = await PostgresDatabase.CreateAsync(postgres.ConnectionString);
        var notes = Notes(24);
        var quickLease = new Dictionary<string, string> { ["Coding__Lease"] = "00:00:10", ["Coding__BatchSize"] = "4" };
        await using var api = ServerProcess.Start(db.ConnectionString, "api");
        await using var worker = ServerProcess.Start(db.ConnectionString, "worker", quickLease);
        await Task.WhenAll(api.WaitReadyAsync(coder: false), worker.WaitReadyAsync(coder: true));

        var refused = new System.Collections.Concurrent.ConcurrentBag<string>();
        var accepted = 0;
        var burst = Task.Run(async () =>
        {
            using var client = api.CreateClient(TimeSpan.FromMinutes(2));
            foreach (var json in notes)
            {
                await PutUntilAcceptedAsync(client, json, refused);
                Interlocked.Increment(ref accepted);
            }
        });
        await WaitAsync(() => Task.FromResult(Volatile.Read(ref accepted) >= notes.Count / 3 || burst.IsCompleted), api);
        await postgres.CrashAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await postgres.StartServerAsync();
        await burst;
        await WaitAsync(async () => await db.ScalarAsync<int>(DoneNotes) == NoteCount(notes), worker);

        Assert.NotEmpty(refused); // the outage fell inside the burst, and was answered 503, not 500
        await AssertCodedOnceAsync(db, NoteCount(notes));
    }

    [PrivatePostgresFact]
    public async Task GivenPostgreSqlRestartsTwiceWithinAMinute_WhenANoteArrivesAfterEachRestart_ThenItIsCodedWithinSecondsAndReadinessFollowsTheDatabase()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var db = await PostgresDatabase.CreateAsync(postgres.ConnectionString);
        var perNote = PerNote(Notes(3));
        await using var api = ServerProcess.Start(db.ConnectionString, "api");
        await using var worker = ServerProcess.Start(db.ConnectionString, "worker");
        await Task.WhenAll(api.WaitReadyAsync(coder: false), worker.WaitReadyAsync(coder: true));
        using var client = api.CreateClient(TimeSpan.FromMinutes(2));
        using var workerClient = worker.CreateClient(TimeSpan.FromSeconds(30));
        foreach (var json in perNote[0]) await PutUntilAcceptedAsync(client, json, null);
        await WaitAsync(async () => await db.ScalarAsync<int>(DoneNotes) == 1, worker);

        for (var restart = 1; restart <= 2; restart++)
        {
            await postgres.CrashAsync();
            // The first outage is long enough for the worker's fetches to fail several times in a row (Hangfire's own
            // back-off then grew past the outage); the second comes soon after the first.
            await Task.Delay(TimeSpan.FromSeconds(restart == 1 ? 20 : 5));
            var (status, body) = await GetAsync(workerClient, "readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.False((bool)JsonNode.Parse(body)!["checks"]!["database"]!["ready"]!, body);

            await postgres.StartServerAsync();
            var back = System.Diagnostics.Stopwatch.StartNew();
            foreach (var json in perNote[restart]) await PutUntilAcceptedAsync(client, json, null);
            await WaitAsync(async () => await db.ScalarAsync<int>(DoneNotes) == restart + 1, worker,
                () => db.ColumnAsync("SELECT focus_id || ' ' || status || ' attempts ' || attempts || coalesce(' ' || error, '') FROM coding_request"));
            output.WriteLine($"restart {restart}: note coded {back.Elapsed.TotalSeconds:F1} s after PostgreSQL was back");
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(10), $"restart {restart}: coding resumed only after {back.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(workerClient, "readyz")).Status);
        }
        await AssertCodedOnceAsync(db, 3);
    }

    static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>As an EHR interface engine: a 503 is retried after a short pause, anything else fails the test.</summary>
    static async Task PutUntilAcceptedAsync(HttpClient client, string json, System.Collections.Concurrent.ConcurrentBag<string>? refused)
    {
        var node = JsonNode.Parse(json)!;
        while (true)
        {
            var response = await client.PutAsync($"{node["resourceType"]}/{node["id"]}", new StringContent(json, Encoding.UTF8, "application/fhir+json"));
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode) return;
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable && body.Contains("OperationOutcome"),
                $"{node["resourceType"]}: {(int)response.StatusCode} {body}");
            refused?.Add(body);
            await Task.Delay(200);
        }
    }

    /// <summary>One Task and one Claim per note, and no (note, code) pair written under two Condition ids.</summary>
    static async Task AssertCodedOnceAsync(PostgresDatabase db, int notes)
    {
        Assert.Equal(notes, await db.ScalarAsync<int>(DoneNotes));
        Assert.Equal(notes, await db.ScalarAsync<int>("SELECT count(*) FROM resource JOIN resource_history USING (resource_type, id, version_id) WHERE resource_type = 'Task' AND content->'focus'->>'reference' LIKE 'DocumentReference/%' AND content->>'status' = 'completed'"));
        Assert.Equal(notes, await db.ScalarAsync<int>("SELECT count(*) FROM resource WHERE resource_type = 'Claim'"));
        Assert.True(await db.ScalarAsync<int>("SELECT count(*) FROM resource WHERE resource_type = 'Condition'") > 0);
        Assert.Empty(await db.ColumnAsync("""
            SELECT content->'evidence'->0->'detail'->0->>'reference' || ' ' || (content->'code'->'coding'->0->>'code')
            FROM resource JOIN resource_history USING (resource_type, id, version_id) WHERE resource_type = 'Condition' GROUP BY 1 HAVING count(*) > 1
            """));
    }

    /// <summary>The first notes of the Synthea fixture, each after its patient and encounter (one note per encounter).</summary>
    static List<string> Notes(int count)
    {
        var encounters = Lines("Encounter").ToDictionary(l => (string)JsonNode.Parse(l)!["id"]!);
        var patients = Lines("Patient").ToDictionary(l => (string)JsonNode.Parse(l)!["id"]!);
        var resources = new List<string>();
        var seen = new HashSet<string>();
        foreach (var note in Lines("DocumentReference"))
        {
            var node = JsonNode.Parse(note)!;
            var encounterId = ((string)node["context"]!["encounter"]![0]!["reference"]!).Split('/')[^1];
            var patientId = ((string)node["subject"]!["reference"]!).Split('/')[^1];
            if (!encounters.ContainsKey(encounterId) || !seen.Add(encounterId)) continue;
            if (seen.Add(patientId)) resources.Add(patients[patientId]);
            resources.Add(encounters[encounterId]);
            resources.Add(note);
            if (resources.Count(r => r.Contains("\"resourceType\":\"DocumentReference\"")) == count) break;
        }
        return resources;
    }

    /// <summary>The resources split after each note: each part is what one note needs stored (its patient if new, its encounter, itself).</summary>
    static List<List<string>> PerNote(List<string> resources)
    {
        var parts = new List<List<string>> { new() };
        foreach (var json in resources)
        {
            parts[^1].Add(json);
            if (json.Contains("\"resourceType\":\"DocumentReference\"")) parts.Add([]);
        }
        parts.RemoveAt(parts.Count - 1);
        return parts;
    }

    static int NoteCount(List<string> resources) => resources.Count(r => r.Contains("\"resourceType\":\"DocumentReference\""));

    static async Task<List<HttpStatusCode>> PutAsync(ServerProcess server, List<string> resources)
    {
        using var client = server.CreateClient(TimeSpan.FromMinutes(2));
        var statuses = new List<HttpStatusCode>();
        foreach (var json in resources)
        {
            var node = JsonNode.Parse(json)!;
            var response = await client.PutAsync($"{node["resourceType"]}/{node["id"]}", new StringContent(json, Encoding.UTF8, "application/fhir+json"));
            Assert.True(response.IsSuccessStatusCode, $"{node["resourceType"]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }

    static async Task WaitAsync(Func<Task<bool>> condition, ServerProcess server, Func<Task<List<string>>>? state = null)
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (!await SafelyAsync(condition))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail("timed out; " + (state is null ? "" : "requests:\n" + string.Join("\n", await state()) + "\n") + "server output:\n" + string.Join("\n", server.Output.TakeLast(40)));
            await Task.Delay(200);
        }
    }

    /// <summary>False while the test's own pooled connections to a restarted PostgreSQL are being replaced.</summary>
    static async Task<bool> SafelyAsync(Func<Task<bool>> condition)
    {
        try { return await condition(); }
        catch (Npgsql.NpgsqlException) { return false; }
    }

    static IEnumerable<string> Lines(string type)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Symphony.Fhir.sln"))) dir = dir.Parent;
        var path = Path.Combine(dir!.FullName, "tests", "Symphony.Fhir.Server.Tests", "fixtures", "synthea", $"{type}.ndjson.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) if (line.Length > 0) lines.Add(line);
        return lines;
    }
}
