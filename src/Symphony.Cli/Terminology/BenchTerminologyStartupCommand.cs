using System.CommandLine;
using System.Diagnostics;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;

namespace Symphony.Cli.Terminology;

/// <summary>
/// <c>symphony bench terminology startup --connection …</c>: time to terminology-ready after a restart on
/// an existing database, measured in a fresh process with the server's own loading path
/// (<see cref="TerminologyDatabase.LoadAllAsync"/>). Prints wall time, process CPU time (other work on the
/// machine inflates the wall time, not the CPU time) and the managed heap held by the loaded versions.
/// <c>--from-rows</c> measures the row path instead (a version without a current snapshot), split into
/// reading rows and compiling, one version after the other as the server did before snapshots.
/// </summary>
public static class BenchTerminologyStartupCommand
{
    public static Command Create()
    {
        var connection = new Option<string>("--connection")
        {
            Description = "PostgreSQL connection string (Host=...) or SQLite file holding the terminology (e.g. after `symphony terminology import`)",
            DefaultValueFactory = _ => TerminologyCommands.DefaultConnection,
        };
        var fromRows = new Option<bool>("--from-rows") { Description = "Ignore snapshots: read rows and compile, and print where the time goes" };
        var command = new Command("startup", "Time to terminology-ready after a restart on a database that already holds the releases")
        {
            connection, fromRows,
        };
        command.SetAction(async (parse, ct) => parse.GetValue(fromRows)
            ? await FromRowsAsync(TerminologyDatabase.Open(parse.GetValue(connection)!), ct)
            : await StartupAsync(TerminologyDatabase.Open(parse.GetValue(connection)!), ct));
        return command;
    }

    static async Task<int> StartupAsync(TerminologyDatabase database, CancellationToken ct)
    {
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var service = new TerminologyService();
        // As TerminologyStartup does: every stored version, then the value sets, then which shipped releases are missing.
        var loaded = await database.LoadAllAsync(v => service.Add(v.Compiled), ct);
        foreach (var vs in await database.LoadValueSetsAsync(ct)) service.Add(vs);
        var missing = TerminologySource.ShippedReleases.Count(r => !loaded.Any(l => l.Stored.Url == r.Url && l.Stored.Version == r.Version));
        var ready = clock.Elapsed;
        var cpuTime = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        if (loaded.Count == 0)
        {
            Console.Error.WriteLine("the database holds no terminology: run `symphony terminology import --connection …` first");
            return 1;
        }

        foreach (var v in loaded)
            Console.WriteLine($"  {v.Stored.Name} {v.Stored.Version,-5} {v.Stored.Concepts,7:N0} concepts {v.Stored.IndexEntries,7:N0} index entries  from {(v.FromSnapshot ? "snapshot" : "rows"),-8} {v.Elapsed.TotalSeconds,6:F2} s");
        Console.WriteLine($"terminology ready after restart: {ready.TotalSeconds:F2} s wall, {cpuTime.TotalSeconds:F2} s CPU ({Environment.ProcessorCount} processors, {loaded.Count} versions, {missing} shipped releases not stored)");
        Console.WriteLine($"managed heap held by the loaded terminology: {(GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / 1048576.0:F0} MB");
        GC.KeepAlive(service);

        var rebuilt = loaded.Where(v => !v.FromSnapshot).ToList();
        if (rebuilt.Count > 0)
        {
            // What the server does once ready, so the next start reads snapshots.
            clock.Restart();
            foreach (var v in rebuilt) await database.SaveSnapshotAsync(v.Compiled, v.Stored.Checksum, ct);
            Console.WriteLine($"wrote the {rebuilt.Count} missing snapshots: {clock.Elapsed.TotalSeconds:F2} s (the next start reads them)");
        }
        return 0;
    }

    static async Task<int> FromRowsAsync(TerminologyDatabase database, CancellationToken ct)
    {
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var stored = await database.ListAsync(ct);
        var compiled = new List<CompiledCodeSystem>();
        TimeSpan rows = default, compile = default;
        foreach (var v in stored)
        {
            var step = Stopwatch.StartNew();
            var version = await database.LoadAsync(v.Url, v.Version, ct);
            var read = step.Elapsed;
            step.Restart();
            compiled.Add(new CompiledCodeSystem(version));
            var built = step.Elapsed;
            (rows, compile) = (rows + read, compile + built);
            Console.WriteLine($"  {v.Name} {v.Version,-5} read rows {read.TotalSeconds,6:F2} s  compile {built.TotalSeconds,6:F2} s");
        }
        var total = clock.Elapsed;
        var cpuTime = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine($"from rows, one version after the other: {total.TotalSeconds:F2} s wall ({rows.TotalSeconds:F2} s reading rows, {compile.TotalSeconds:F2} s compiling), {cpuTime.TotalSeconds:F2} s CPU");
        Console.WriteLine($"managed heap held by the loaded terminology: {(GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / 1048576.0:F0} MB");
        GC.KeepAlive(compiled);

        clock.Restart();
        foreach (var release in TerminologySource.ShippedReleases) release.Read();
        Console.WriteLine($"parsing the four shipped releases (what the start-up did before to learn which were stored): {clock.Elapsed.TotalSeconds:F2} s");
        return 0;
    }
}
