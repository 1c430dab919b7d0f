using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Symphony.Terminology;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;

namespace Symphony.Cli.Terminology;

/// <summary><c>symphony terminology import|list|diff</c>: what a terminology administrator runs each October.</summary>
public static class TerminologyCommands
{
    public const string DefaultConnection = "data/symphony.db";

    static Option<string> ConnectionOption() => new("--connection")
    {
        Description = "PostgreSQL connection string (Host=...) or SQLite file (default data/symphony.db, the embedded server's database)",
        DefaultValueFactory = _ => DefaultConnection,
    };

    public static Command Create() =>
        new("terminology", "Load, list and compare code system releases") { Import(), List(), Diff(), ExportFhirCommand.Create() };

    static Command Import()
    {
        var sources = new Argument<string[]>("source")
        {
            Description = "ICD-10-CM/PCS release (zip or folder), FHIR CodeSystem/ValueSet/Bundle (.json/.xml) or FHIR package (.tgz); none = the shipped releases",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var version = new Option<string?>("--version") { Description = "Version to record when the release does not say (e.g. 2025)" };
        var connection = ConnectionOption();
        var command = new Command("import", "Import releases into the terminology store (one transaction each; same content twice = unchanged)") { sources, version, connection };
        command.SetAction(async (parse, ct) =>
        {
            var paths = parse.GetValue(sources) ?? [];
            var readers = paths.Length == 0
                ? TerminologySource.Shipped().ToList()
                : paths.Select(p => (Func<TerminologyBundle>)(() => TerminologySource.Read(p, parse.GetValue(version)))).ToList();
            return await ImportAsync(TerminologyDatabase.Open(parse.GetValue(connection)!), readers, ct);
        });
        return command;
    }

    static async Task<int> ImportAsync(TerminologyDatabase database, IReadOnlyList<Func<TerminologyBundle>> readers, CancellationToken ct)
    {
        var outcomes = new List<ImportOutcome>();
        var clock = Stopwatch.StartNew();
        try
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    foreach (var read in readers)
                    {
                        var task = progress.AddTask("reading release", maxValue: 1);
                        var bundle = read();
                        task.Description = Markup.Escape($"{bundle.Source}: storing");
                        var report = new InlineProgress(p =>
                        {
                            task.MaxValue = Math.Max(1, p.Total);
                            task.Value = p.Done;
                            task.Description = Markup.Escape($"{bundle.Source}: {p.Step}");
                        });
                        outcomes.AddRange(await database.ImportAsync(bundle, report, ct));
                        task.Value = task.MaxValue;
                        task.StopTask();
                    }
                });
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            AnsiConsole.MarkupLine($"[red]import failed, nothing stored from this source:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
        var table = new Table().AddColumns("Resource", "URL", "Version", "Status", "Concepts", "Index entries");
        foreach (var o in outcomes)
            table.AddRow(o.Kind, Markup.Escape(o.Url), Markup.Escape(o.Version ?? ""), o.Status.ToString().ToLowerInvariant(), o.Concepts.ToString("N0"), o.IndexEntries.ToString("N0"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    sealed class InlineProgress(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }

    static Command List()
    {
        var connection = ConnectionOption();
        var command = new Command("list", "Code system versions in the store") { connection };
        command.SetAction(async (parse, ct) =>
        {
            var stored = await TerminologyDatabase.Open(parse.GetValue(connection)!).ListAsync(ct);
            var table = new Table().AddColumns("URL", "Version", "Name", "In force from", "Concepts", "Index entries", "Checksum", "Imported");
            foreach (var v in stored)
                table.AddRow(Markup.Escape(v.Url), Markup.Escape(v.Version), Markup.Escape(v.Name), v.EffectiveFrom?.ToString("yyyy-MM-dd") ?? "", v.Concepts.ToString("N0"), v.IndexEntries.ToString("N0"), v.Checksum[..12], v.ImportedAt.ToString("u"));
            AnsiConsole.Write(table);
            if (stored.Count == 0) AnsiConsole.MarkupLine("no terminology stored yet: run [bold]symphony terminology import[/]");
            return 0;
        });
        return command;
    }

    static Command Diff()
    {
        var system = new Argument<string>("system") { Description = "icd-10-cm, icd-10-pcs or a code system URL" };
        var from = new Argument<string>("from") { Description = "Older version, e.g. 2021" };
        var to = new Argument<string>("to") { Description = "Newer version, e.g. 2024" };
        var limit = new Option<int>("--limit") { Description = "Codes listed per category (counts are always complete)", DefaultValueFactory = _ => 25 };
        var connection = ConnectionOption();
        var command = new Command("diff", "Codes added, deleted and revised between two versions") { system, from, to, limit, connection };
        command.SetAction(async (parse, ct) =>
        {
            var url = parse.GetValue(system) switch
            {
                "icd-10-cm" or "icd10cm" => Icd10CmLoader.Url,
                "icd-10-pcs" or "icd10pcs" => Icd10PcsLoader.Url,
                var other => other!,
            };
            var database = TerminologyDatabase.Open(parse.GetValue(connection)!);
            var a = await LoadVersionAsync(database, url, parse.GetValue(from)!, ct);
            var b = await LoadVersionAsync(database, url, parse.GetValue(to)!, ct);
            var diff = TerminologyDiff.Compare(a, b);
            var n = parse.GetValue(limit);
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(a.Name)} {a.Version} → {b.Version}[/]: {diff.Added.Count:N0} added, {diff.Deleted.Count:N0} deleted, {diff.Revised.Count:N0} revised");
            Section("Added", diff.Added.Take(n).Select(c => $"{c.Code}  {c.Display}"), diff.Added.Count, n);
            Section("Deleted", diff.Deleted.Take(n).Select(c => $"{c.Code}  {c.Display}"), diff.Deleted.Count, n);
            Section("Revised", diff.Revised.Take(n).Select(r => r.OldDisplay == r.NewDisplay
                ? $"{r.Code}  billable {r.OldBillable} → {r.NewBillable}"
                : $"{r.Code}  \"{r.OldDisplay}\" → \"{r.NewDisplay}\""), diff.Revised.Count, n);
            return 0;
        });
        return command;
    }

    static void Section(string title, IEnumerable<string> lines, int count, int limit)
    {
        AnsiConsole.MarkupLine($"[bold]{title}[/] ({count:N0})");
        foreach (var line in lines) AnsiConsole.WriteLine("  " + line);
        if (count > limit) AnsiConsole.WriteLine($"  … {count - limit:N0} more (--limit)");
    }

    /// <summary>From the store when it holds the version, else from the shipped releases.</summary>
    static async Task<CodeSystemVersion> LoadVersionAsync(TerminologyDatabase database, string url, string version, CancellationToken ct)
    {
        var stored = await database.ListAsync(ct);
        if (stored.Any(v => v.Url == url && v.Version == version)) return (await database.LoadCompiledAsync(url, version, ct)).Version;
        if (url == Icd10CmLoader.Url && ShippedTerminology.Icd10CmVersions.Contains(version)) return ShippedTerminology.LoadIcd10Cm(version);
        if (url == Icd10PcsLoader.Url && version == "2026") return ShippedTerminology.LoadIcd10Pcs();
        throw new InvalidOperationException($"{url} version {version} is neither stored nor shipped; import it first");
    }
}
