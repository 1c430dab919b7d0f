using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Symphony.Cli.Bench;

/// <summary>
/// <c>symphony bench server --url http://127.0.0.1:5080</c>: HTTP load against a running server — N creates
/// (POST of a DocumentReference like an EHR sends) then N reads of the created ids — printing requests/s, p50 and p99.
/// </summary>
public static class BenchServerCommand
{
    private const string FhirJson = "application/fhir+json";

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Base URL of a running server", Required = true };
        var creates = new Option<int>("--creates") { Description = "Number of POSTs", DefaultValueFactory = _ => 2000 };
        var reads = new Option<int>("--reads") { Description = "Number of GETs by id", DefaultValueFactory = _ => 10000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight", DefaultValueFactory = _ => 16 };
        var resource = new Option<FileInfo?>("--resource")
        {
            Description = "FHIR JSON resource to POST (default: a built-in DocumentReference with a short plain-text note)",
        };
        var command = new Command("server", "Create and read throughput of a running FHIR server over HTTP")
        {
            url, creates, reads, concurrency, resource,
        };
        command.SetAction(async (parse, ct) => await RunAsync(
            new Uri(parse.GetValue(url)!), parse.GetValue(creates), parse.GetValue(reads), parse.GetValue(concurrency),
            parse.GetValue(resource), ct));
        return command;
    }

    public static async Task<int> RunAsync(Uri baseUrl, int creates, int reads, int concurrency, FileInfo? resourceFile, CancellationToken ct)
    {
        var payload = resourceFile is null ? DefaultPayload() : await File.ReadAllTextAsync(resourceFile.FullName, ct);
        var type = new FhirJsonDeserializer().DeserializeResource(payload).TypeName;
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency })
        {
            BaseAddress = new Uri(baseUrl.ToString().TrimEnd('/') + "/"),
        };
        await ServerToken.AuthorizeAsync(client, baseUrl, ct);
        var metadata = await client.GetAsync("metadata", ct);
        if (!metadata.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"{baseUrl}metadata answered {(int)metadata.StatusCode}");
            return 1;
        }

        var ids = new ConcurrentBag<string>();
        Console.WriteLine($"server {baseUrl}, {concurrency} concurrent requests, payload {type} ({Encoding.UTF8.GetByteCount(payload)} bytes)");
        var created = await MeasureAsync($"create {type}", creates, concurrency, async i =>
        {
            using var content = new StringContent(payload, Encoding.UTF8, FhirJson);
            using var request = new HttpRequestMessage(HttpMethod.Post, type) { Content = content };
            request.Headers.Add("Prefer", "return=minimal");
            using var response = await client.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.Created || response.Headers.Location is null)
                return false;
            ids.Add(response.Headers.Location.ToString().Split('/')[^3]);
            return true;
        });
        if (ids.IsEmpty)
        {
            Console.Error.WriteLine("no resource was created; nothing to read");
            return 1;
        }
        var idList = ids.ToArray();
        var read = await MeasureAsync($"read {type}", reads, concurrency, async i =>
        {
            using var response = await client.GetAsync($"{type}/{idList[i % idList.Length]}", ct);
            await response.Content.LoadIntoBufferAsync(ct);
            return response.StatusCode == HttpStatusCode.OK;
        });
        return created && read ? 0 : 1;
    }

    /// <summary>Runs <paramref name="count"/> requests with a fixed number in flight; prints throughput and latency percentiles.</summary>
    private static async Task<bool> MeasureAsync(string name, int count, int concurrency, Func<int, Task<bool>> send)
    {
        var latencies = new double[count];
        var failures = 0;
        var next = -1;
        var total = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Math.Max(1, concurrency)).Select(_ => System.Threading.Tasks.Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var started = Stopwatch.GetTimestamp();
                var ok = false;
                try
                {
                    ok = await send(i);
                }
                catch (HttpRequestException)
                {
                }
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!ok)
                    Interlocked.Increment(ref failures);
            }
        }));
        await System.Threading.Tasks.Task.WhenAll(workers);
        total.Stop();
        Array.Sort(latencies);
        double Percentile(double p) => count == 0 ? 0 : latencies[Math.Min(count - 1, (int)Math.Ceiling(p * count) - 1)];
        Console.WriteLine(
            $"{name,-28} {count,7} requests  {count / total.Elapsed.TotalSeconds,9:F0} req/s  " +
            $"p50 {Percentile(0.50),7:F2} ms  p99 {Percentile(0.99),7:F2} ms  failed {failures}");
        return failures == 0;
    }

    private static string DefaultPayload()
    {
        const string note = "Chief complaint: cough for three days. History: hypertension, type 2 diabetes mellitus. " +
            "Assessment: acute bronchitis. No evidence of pneumonia. Plan: supportive care.";
        var document = new DocumentReference
        {
            Status = DocumentReferenceStatus.Current,
            Type = new CodeableConcept("http://loinc.org", "34117-2", "History and physical note"),
            Subject = new ResourceReference("Patient/bench-patient"),
            Date = new DateTimeOffset(2024, 3, 1, 10, 0, 0, TimeSpan.Zero),
            Content = [new DocumentReference.ContentComponent
            {
                Attachment = new Attachment { ContentType = "text/plain; charset=utf-8", Data = Encoding.UTF8.GetBytes(note) },
            }],
            Context = new DocumentReference.ContextComponent { Encounter = [new ResourceReference("Encounter/bench-encounter")] },
        };
        return new FhirJsonSerializer().SerializeToString(document);
    }
}
