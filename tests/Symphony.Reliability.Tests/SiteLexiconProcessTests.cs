using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Symphony.Reliability.Tests;

/// <summary>
/// The site lexicon across processes, on real server processes and a real PostgreSQL: a site's coded charts imported through the
/// api's $review with <c>symphony lexicon import --codiesp</c> (three real CodiEsp train documents), the lexicon built from those
/// decisions by the worker, and the next note, sent to the api, coded by the worker with it.
/// </summary>
public sealed class SiteLexiconProcessTests(ITestOutputHelper output)
{
    [PostgresFact]
    public async Task GivenChartsImportedThroughTheApi_WhenTheWorkerRebuildsTheLexicon_ThenTheNextNoteIsCodedWithItsVersion()
    {
        await using var db = await PostgresDatabase.CreateAsync();
        var settings = new Dictionary<string, string> { ["SiteLexicon__PollInterval"] = "00:00:01", ["SiteLexicon__Debounce"] = "00:00:00" };
        await using var api = ServerProcess.Start(db.ConnectionString, "api", settings);
        await using var worker = ServerProcess.Start(db.ConnectionString, "worker", settings);
        await Task.WhenAll(api.WaitReadyAsync(coder: false), worker.WaitReadyAsync(coder: true));

        var fixture = Path.Combine(TerminologyImportTests.RepositoryRoot(), "tests", "Symphony.Reliability.Tests", "fixtures", "codiesp");
        var imported = await RunCliAsync(api, "lexicon", "import", "--codiesp", fixture, "--split", "train", "--server", api.BaseUrl.ToString(), "--language", "es");
        Assert.Contains("imported 3 notes", imported);

        // The same rows a reviewer's $review writes: one accept or add per gold mention, with its spans' text.
        var gold = File.ReadAllLines(Path.Combine(fixture, "train", "trainX.tsv")).Length;
        Assert.Equal(gold, await db.ScalarAsync<int>("SELECT count(*) FROM coding_decision WHERE action IN ('accept', 'add')"));
        Assert.Equal(1, await db.ScalarAsync<int>("SELECT count(*) FROM coding_decision WHERE code = 'R74.0' AND spans LIKE '%elevaci%' AND spans LIKE '%de las transaminasas%'"));

        // Only the worker builds (the api never loads a coder); it stores the version both processes then read.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await db.ScalarAsync<long>("SELECT count(*) FROM site_lexicon WHERE language = 'es'") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no site lexicon was built; worker output:\n" + string.Join("\n", worker.Output.TakeLast(30)));
            await Task.Delay(250);
        }
        var version = await db.ScalarAsync<int>("SELECT max(version) FROM site_lexicon WHERE language = 'es'");
        Assert.Equal(0, api.CountLines("Site lexicon: built"));
        Assert.Equal(1, worker.CountLines("Site lexicon: built"));
        var entries = (await db.ColumnAsync($"SELECT entries FROM site_lexicon WHERE language = 'es' AND version = {version}")).Single();
        Assert.Contains("hemangioblastoma cerebeloso\ticd10cm\tD43.1\tes", entries);

        using var client = api.CreateClient(TimeSpan.FromMinutes(1));
        var noteId = await PutNoteAsync(client, "Varón de 40 años con hemangioblastoma cerebeloso y amigdalitis de repetición.");
        var expected = $"$site-lexicon?language=es&version={version}";
        deadline = DateTime.UtcNow.AddMinutes(2);
        string? named = null;
        while (named is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the note was not coded; worker output:\n" + string.Join("\n", worker.Output.TakeLast(30)));
            named = (await db.ColumnAsync($"""
                SELECT o->>'valueUri' FROM resource JOIN resource_history USING (resource_type, id, version_id), jsonb_array_elements(content->'output') o
                WHERE resource_type = 'Task' AND content->'focus'->>'reference' = 'DocumentReference/{noteId}' AND o->'type'->>'text' = 'site lexicon'
                """)).SingleOrDefault();
            await Task.Delay(250);
        }
        Assert.Equal(expected, named);
        Assert.Equal(1, worker.CountLines($"Coded DocumentReference/{noteId}"));
        var policies = await db.ColumnAsync($"""
            SELECT p FROM resource JOIN resource_history USING (resource_type, id, version_id), jsonb_array_elements_text(content->'policy') p
            WHERE resource_type = 'Provenance' AND content->'target'->0->>'reference' = 'Condition/' || (
                SELECT id FROM resource JOIN resource_history USING (resource_type, id, version_id) WHERE resource_type = 'Condition' AND content->'encounter'->>'reference' = 'Encounter/{noteId}' AND content->'code'->'coding'->0->>'code' = 'D43.1')
            """);
        Assert.Equal(expected, Assert.Single(policies));
    }

    static async Task<string> PutNoteAsync(HttpClient client, string text)
    {
        var id = "lexicon-" + Guid.NewGuid().ToString("N")[..8];
        var resources = new[]
        {
            new JsonObject { ["resourceType"] = "Patient", ["id"] = id },
            new JsonObject
            {
                ["resourceType"] = "Encounter", ["id"] = id, ["status"] = "finished",
                ["class"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = "IMP" },
                ["subject"] = new JsonObject { ["reference"] = $"Patient/{id}" },
                ["period"] = new JsonObject { ["start"] = "2021-01-01", ["end"] = "2021-01-01" },
            },
            new JsonObject
            {
                ["resourceType"] = "DocumentReference", ["id"] = id, ["status"] = "current", ["language"] = "es",
                ["subject"] = new JsonObject { ["reference"] = $"Patient/{id}" },
                ["context"] = new JsonObject { ["encounter"] = new JsonArray(new JsonObject { ["reference"] = $"Encounter/{id}" }) },
                ["content"] = new JsonArray(new JsonObject { ["attachment"] = new JsonObject { ["contentType"] = "text/plain; charset=utf-8", ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text)) } }),
            },
        };
        foreach (var resource in resources)
        {
            var response = await client.PutAsync($"{resource["resourceType"]}/{id}", new StringContent(resource.ToJsonString(), Encoding.UTF8, "application/fhir+json"));
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{resource["resourceType"]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return id;
    }

    async Task<string> RunCliAsync(ServerProcess server, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet", [TerminologyImportTests.CliDll(), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["SYMPHONY_TOKEN"] = server.Token;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(4));
        output.WriteLine($"symphony {string.Join(' ', arguments)}: {await stdout}{await stderr}");
        Assert.True(process.ExitCode == 0, $"symphony {arguments[0]} {arguments[1]} failed ({process.ExitCode}): {await stdout}{await stderr}");
        return await stdout;
    }
}
