using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using Npgsql;
using Symphony.Terminology;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Cli.Terminology;

/// <summary>
/// <c>symphony bench terminology</c>: ICD-10-CM FY2021 parse and import into PostgreSQL (a throwaway
/// database), $lookup / $validate-code / $expand?filter over HTTP against a running server (--url), and
/// the same validate-code and expand work through Firely's LocalTerminologyService and through ours,
/// in process, on the same CodeSystem — printed as a ratio.
/// </summary>
public static class BenchTerminologyCommand
{
    const string Cm = Icd10CmLoader.Url;

    public static Command Create()
    {
        var postgres = new Option<string>("--postgres")
        {
            Description = "PostgreSQL server for the import figure (a temporary database is created and dropped)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SYMPHONY_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres",
        };
        var url = new Option<string?>("--url") { Description = "Base URL of a running server for the HTTP figures (skipped when absent)" };
        var requests = new Option<int>("--requests") { Description = "HTTP requests per operation", DefaultValueFactory = _ => 20_000 };
        var concurrency = new Option<int>("--concurrency") { Description = "HTTP requests in flight", DefaultValueFactory = _ => 16 };
        var iterations = new Option<int>("--iterations") { Description = "In-process calls per operation for the Firely comparison", DefaultValueFactory = _ => 500 };
        var command = new Command("terminology", "Terminology import time, HTTP throughput and latency, and the ratio to Firely's LocalTerminologyService")
        {
            postgres, url, requests, concurrency, iterations,
        };
        command.Add(BenchTerminologyStartupCommand.Create());
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(postgres)!, parse.GetValue(url) is { } u ? new Uri(u) : null, parse.GetValue(requests),
            parse.GetValue(concurrency), parse.GetValue(iterations), ct));
        return command;
    }

    static async Task<int> RunAsync(string postgres, Uri? url, int requests, int concurrency, int iterations, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var cm = ShippedTerminology.LoadIcd10Cm("2021");
        Console.WriteLine($"parse ICD-10-CM FY2021 (tabular + order + 3 index XMLs): {clock.Elapsed.TotalSeconds:F2} s, {cm.Concepts.Count:N0} concepts, {cm.IndexEntries.Count:N0} index entries");
        clock.Restart();
        var service = new TerminologyService();
        service.Add(cm);
        Console.WriteLine($"compile in-memory index: {clock.Elapsed.TotalSeconds:F2} s");

        await ImportIntoPostgresAsync(postgres, cm, ct);
        if (url is not null) await HttpAsync(url, requests, concurrency, ct);
        else Console.WriteLine("HTTP figures skipped: start the server and pass --url http://127.0.0.1:5080");
        await CompareWithFirelyAsync(service, cm, iterations);
        return 0;
    }

    static async Task ImportIntoPostgresAsync(string admin, CodeSystemVersion cm, CancellationToken ct)
    {
        var name = "symphony_bench_" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync(ct);
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await create.ExecuteNonQueryAsync(ct);
            }
        }
        catch (NpgsqlException e)
        {
            Console.WriteLine($"PostgreSQL import skipped: {e.Message}");
            return;
        }
        try
        {
            var database = TerminologyDatabase.Postgres(new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString());
            await database.EnsureSchemaAsync(ct);
            var bundle = new TerminologyBundle("FY2021", [cm], []);
            var clock = Stopwatch.StartNew();
            await database.ImportAsync(bundle, null, ct);
            Console.WriteLine($"import into PostgreSQL (binary COPY, one transaction, {cm.Concepts.Count + cm.IndexEntries.Count:N0} rows): {clock.Elapsed.TotalSeconds:F2} s");
            clock.Restart();
            var again = await database.ImportAsync(bundle, null, ct);
            Console.WriteLine($"import again (same content → {again[0].Status.ToString().ToLowerInvariant()}): {clock.Elapsed.TotalSeconds:F2} s");
            clock.Restart();
            var loaded = await database.LoadAsync(cm.Url, cm.Version, ct);
            Console.WriteLine($"load back from PostgreSQL: {clock.Elapsed.TotalSeconds:F2} s ({loaded.Concepts.Count:N0} concepts)");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync(ct);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync(ct);
        }
    }

    static readonly string[] Codes = ["E11.22", "I10", "S52.521A", "T81.40XA", "O36.5930", "J18.9", "N18.3", "E78.5", "Z79.4", "F32.9", "S52.521", "X99.99"];
    static readonly string[] Filters = ["type 2 diabetes kidney", "hypertension", "fracture radius", "pneumonia", "chronic kidney disease stage 3", "major depressive"];

    static async Task HttpAsync(Uri baseUrl, int requests, int concurrency, CancellationToken ct)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(baseUrl.ToString().TrimEnd('/') + "/") };
        await ServerToken.AuthorizeAsync(client, baseUrl, ct);
        for (var i = 0; i < 240; i++)
        {
            using var probe = await client.GetAsync($"CodeSystem/$lookup?system={Cm}&code=I10", ct);
            if (probe.StatusCode == HttpStatusCode.OK) break;
            await Task.Delay(500, ct);
        }
        Console.WriteLine($"HTTP against {baseUrl}, {concurrency} in flight");
        // $lookup of an unknown code is a 404, so it is asked only for existing codes.
        var known = Codes[..^1];
        await MeasureAsync("$lookup", requests, concurrency, i => client.GetAsync($"CodeSystem/$lookup?system={Cm}&code={known[i % known.Length]}&version=2021", ct));
        await MeasureAsync("$validate-code", requests, concurrency, i => client.GetAsync($"CodeSystem/$validate-code?url={Cm}&code={Codes[i % Codes.Length]}&version=2021", ct));
        await MeasureAsync("$expand?filter", Math.Max(1, requests / 4), concurrency, i => client.GetAsync(
            $"ValueSet/$expand?url={Uri.EscapeDataString(Cm + "?fhir_vs")}&filter={Uri.EscapeDataString(Filters[i % Filters.Length])}&count=10", ct));
    }

    static async Task MeasureAsync(string name, int count, int concurrency, Func<int, Task<HttpResponseMessage>> send)
    {
        var latencies = new double[count];
        var failures = 0;
        var next = -1;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await send(i);
                    await response.Content.LoadIntoBufferAsync();
                    if (response.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref failures);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        })));
        total.Stop();
        Array.Sort(latencies);
        double Percentile(double p) => latencies[Math.Min(count - 1, (int)Math.Ceiling(p * count) - 1)];
        Console.WriteLine($"  {name,-16} {count,7} requests {count / total.Elapsed.TotalSeconds,9:F0} req/s  p50 {Percentile(0.50),6:F2} ms  p99 {Percentile(0.99),6:F2} ms  failed {failures}");
    }

    /// <summary>The same value-set validate-code and is-a expansion through both ITerminologyService implementations.</summary>
    static async Task CompareWithFirelyAsync(TerminologyService service, CodeSystemVersion cm, int iterations)
    {
        const string allCodes = "http://example.org/fhir/ValueSet/icd-10-cm-all";
        const string diabetes = "http://example.org/fhir/ValueSet/icd-10-cm-e11";
        var codeSystem = ToFhir(cm);
        var all = new ValueSet { Url = allCodes, Status = PublicationStatus.Active, Compose = new() { Include = [new() { System = Cm }] } };
        var e11 = new ValueSet
        {
            Url = diabetes, Status = PublicationStatus.Active,
            Compose = new() { Include = [new() { System = Cm, Filter = [new() { Property = "concept", Op = FilterOperator.IsA, Value = "E11" }] }] },
        };
        ITerminologyService firely = new LocalTerminologyService(new InMemoryResourceResolver(codeSystem, all, e11),
            new ValueSetExpanderSettings { MaxExpansionSize = 200_000 });
        foreach (var vs in new[] { all, e11 }) service.Add(FhirTerminologyLoader.ToDefinition(vs));
        ITerminologyService ours = new FirelyTerminologyService(service);

        Console.WriteLine($"in process, same CodeSystem ({cm.Concepts.Count:N0} concepts) and ValueSets through ITerminologyService, {iterations} calls each:");
        Parameters Validate(int i) => new Parameters().Add("url", new FhirUri(allCodes)).Add("system", new FhirUri(Cm)).Add("code", new Code(Codes[i % Codes.Length]));
        Parameters Expand(int _) => new Parameters().Add("url", new FhirUri(diabetes));
        await Ratio("ValueSet $validate-code", iterations, i => ours.ValueSetValidateCode(Validate(i)), i => firely.ValueSetValidateCode(Validate(i)));
        await Ratio("ValueSet $expand is-a E11", iterations, i => ours.Expand(Expand(i)), i => firely.Expand(Expand(i)));
        // Firely keeps the expanded ValueSet object and hands it back; ours builds the FHIR answer each time.
        // The typed call shows the expansion work without the FHIR objects.
        await Ratio("  same, typed call (ours)", iterations, i => Task.FromResult<object>(service.Expand(diabetes, count: 1000)), async i => (object)await firely.Expand(Expand(i)));
    }

    static async Task Ratio<T>(string name, int iterations, Func<int, Task<T>> ours, Func<int, Task<T>> firely)
    {
        await ours(0);
        var clock = Stopwatch.StartNew();
        await firely(0); // the first call expands/caches: reported apart
        var firelyFirst = clock.Elapsed.TotalMilliseconds;
        var oursTime = await Time(iterations, ours);
        var firelyTime = await Time(Math.Max(1, iterations / 10), firely) * 10;
        Console.WriteLine($"  {name,-26} ours {oursTime / iterations * 1000,9:F1} µs/call   Firely {firelyTime / iterations * 1000,9:F1} µs/call (first call {firelyFirst:F0} ms)   ratio {firelyTime / oursTime,8:0.##}x");
    }

    static async Task<double> Time<T>(int n, Func<int, Task<T>> call)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) await call(i);
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Our loaded version as a FHIR CodeSystem with nested concepts (non-billable ones marked notSelectable).</summary>
    static CodeSystem ToFhir(CodeSystemVersion version)
    {
        var cs = new CodeSystem
        {
            Url = version.Url, Version = version.Version, Name = "ICD10CM", Status = PublicationStatus.Active,
            Content = CodeSystemContentMode.Complete, HierarchyMeaning = CodeSystem.CodeSystemHierarchyMeaning.IsA,
        };
        CodeSystem.ConceptDefinitionComponent Convert(Concept c)
        {
            var definition = new CodeSystem.ConceptDefinitionComponent { Code = c.Code, Display = c.Display };
            if (!c.IsBillable) definition.Property.Add(new CodeSystem.ConceptPropertyComponent { Code = "notSelectable", Value = new FhirBoolean(true) });
            foreach (var child in c.Children) definition.Concept.Add(Convert(version.Concepts[child]));
            return definition;
        }
        foreach (var root in version.Concepts.Values.Where(c => c.ParentCode is null)) cs.Concept.Add(Convert(root));
        return cs;
    }
}
