using System.CommandLine;
using System.Diagnostics;
using Symphony.Coders;
using Symphony.Coders.Text;

namespace Symphony.Cli.Coding;

/// <summary>
/// <c>symphony bench coder --texts &lt;folder&gt;</c>: codes every .txt note on one thread after a
/// warm-up and prints notes/s per core, latency percentiles and peak memory. Terminology loading
/// is timed separately and not counted.
/// </summary>
public static class BenchCoderCommand
{
    public static Command Create()
    {
        var texts = new Option<DirectoryInfo>("--texts") { Description = "Folder of .txt notes.", Required = true };
        var language = new Option<string>("--language") { Description = "en or es.", DefaultValueFactory = _ => "en" };
        language.AcceptOnlyFromAmong("en", "es");
        var rounds = new Option<int>("--rounds") { Description = "Passes over the notes.", DefaultValueFactory = _ => 1 };
        var command = new Command("coder", "Benchmark the embedded coder: notes/s per core, p50/p99 per note, peak memory.") { texts, language, rounds };
        command.SetAction(parse =>
        {
            var lang = LanguageCodes.Parse(parse.GetValue(language)!);
            var notes = Directory.EnumerateFiles(parse.GetValue(texts)!.FullName, "*.txt").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
            if (notes.Count == 0) { Console.Error.WriteLine("No .txt notes found."); return 2; }
            var load = Stopwatch.StartNew();
            var coder = CoderFactory.Create();
            coder.Warm(lang);
            Console.WriteLine($"terminology load + index build: {load.Elapsed.TotalSeconds:0.0} s (not counted)");
            var options = new CodingOptions { Language = lang };
            // Warm-up pass so the JIT has compiled the hot paths before timing.
            foreach (var note in notes.Take(500)) coder.Code(note, options);

            var latencies = new List<double>(notes.Count * parse.GetValue(rounds));
            var codes = 0L;
            var characters = 0L;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (var round = 0; round < parse.GetValue(rounds); round++)
                foreach (var note in notes)
                {
                    var started = Stopwatch.GetTimestamp();
                    codes += coder.Code(note, options).Codes.Count;
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    characters += note.Length;
                }
            wall.Stop();
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            latencies.Sort();
            double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
            var process = Process.GetCurrentProcess();
            Console.WriteLine($"notes: {latencies.Count:N0} ({characters / latencies.Count:N0} characters on average), codes: {codes:N0}");
            Console.WriteLine($"throughput: {latencies.Count / wall.Elapsed.TotalSeconds:N0} notes/s per core by wall clock (one thread, {wall.Elapsed.TotalSeconds:0.00} s), {latencies.Count / cpuSeconds:N0} notes/s per CPU-second ({cpuSeconds:0.00} s CPU of the whole process, GC included)");
            Console.WriteLine($"latency per note: p50 {Percentile(0.50):0.000} ms, p99 {Percentile(0.99):0.000} ms, max {latencies[^1]:0.000} ms");
            Console.WriteLine($"peak memory: {process.PeakWorkingSet64 / 1048576.0:N0} MiB working set (includes the loaded terminology), managed heap now {GC.GetTotalMemory(false) / 1048576.0:N0} MiB");
            return 0;
        });
        return command;
    }
}
