using System.CommandLine;
using System.Globalization;
using Symphony.Coders;
using Symphony.Coders.Evaluation;

namespace Symphony.Cli.Coding;

/// <summary>
/// <c>symphony eval annotated &lt;dir&gt; [--out predictions.tsv]</c>: codes each note of a hand-coded set
/// (the layout its GUIDE.md describes) as for real use — guidelines applied, the note's setting from index.tsv, and, as the
/// annotation guide annotates only complete codes, no partial ICD-10-PCS codes (counted on a line of their own) — and prints
/// P/R/F1 overall, per system and per category, one line per note, and the MAP of the ranking.
/// </summary>
public static class EvalAnnotatedCommand
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "The set: index.tsv, notes/<note>.txt, gold/<note>.tsv." };
        var output = new Option<FileInfo?>("--out") { Description = "Write the coder's codes, ranked, as TSV (note, rank, system, code, confidence, status, principal, basis, quote)." };
        var command = new Command("annotated", "Code a hand-coded note set (guidelines applied) and print P/R/F1 per system and per category, and the ranking's MAP.") { dir, output };
        command.SetAction(parse =>
        {
            var set = AnnotatedSet.Load(parse.GetValue(dir)!.FullName);
            Console.WriteLine($"{set.Notes.Count} of {set.Indexed} notes have gold ({set.Notes.Sum(n => n.Gold.Count(r => r.Coded))} coded rows, {set.Notes.Sum(n => n.Gold.Count(r => !r.Coded))} not-coded)");
            if (set.Notes.Count == 0) return 0;
            var coder = CoderFactory.Create();
            var coded = set.Notes.Select(n => (Note: n, Result: coder.Code(n.Text, new CodingOptions { Setting = n.Setting, PartialProcedures = false }))).ToList();
            var scores = AnnotatedScorer.Score(coded);
            Write(Console.Out, scores);
            var partial = coded.Sum(c => c.Result.Rejected.Count(r => r.Reason.StartsWith($"{Symphony.Coders.Rules.ProcedureReporting.Name}: a partial code", StringComparison.Ordinal)));
            Console.WriteLine($"partial ICD-10-PCS codes left out (the guide annotates complete codes only; the server writes them as incomplete Procedures): {partial}");
            if (parse.GetValue(output) is { } file) WritePredictions(file.FullName, coded);
            return 0;
        });
        return command;
    }

    public static void Write(TextWriter w, AnnotatedScores scores)
    {
        w.WriteLine($"all          {scores.Overall}  MAP {scores.MeanAveragePrecision.ToString("0.000", CultureInfo.InvariantCulture)}");
        foreach (var (system, tally) in scores.BySystem) w.WriteLine($"{system,-12} {tally}");
        foreach (var (category, tally) in scores.ByCategory) w.WriteLine($"{category,-12} {tally}");
        foreach (var n in scores.Notes)
            w.WriteLine($"note {n.Note,-8} {(n.Setting == CareSetting.Inpatient ? "inpatient " : "outpatient")} {n.Tally}  AP {(n.AveragePrecision is { } ap ? ap.ToString("0.000", CultureInfo.InvariantCulture) : "–")}"
                + (n.Missed.Count > 0 ? $"  missed {string.Join(' ', n.Missed)}" : "") + (n.Extra.Count > 0 ? $"  extra {string.Join(' ', n.Extra)}" : ""));
    }

    static void WritePredictions(string path, IEnumerable<(AnnotatedNote Note, CodingResult Result)> coded)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("note\trank\tsystem\tcode\tconfidence\tstatus\tprincipal\tbasis\tquote");
        foreach (var (note, result) in coded)
            for (var i = 0; i < result.Codes.Count; i++)
            {
                var c = result.Codes[i];
                w.WriteLine(string.Join('\t', note.Id, i + 1, AnnotatedScorer.SystemName(c.System), AnnotatedSet.NormalizeCode(c.Code),
                    c.Confidence.ToString("0.000", CultureInfo.InvariantCulture), c.Status.ToString().ToLowerInvariant(), c.IsPrincipal ? "yes" : "",
                    c.Basis?.ToString() ?? "", c.Spans.Count > 0 ? Clean(c.Spans[0].Text) : ""));
            }
    }

    static string Clean(string text) => text.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ');
}
