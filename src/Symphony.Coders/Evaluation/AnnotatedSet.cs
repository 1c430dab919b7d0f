using System.Globalization;
using Symphony.Coders.Context;
using Symphony.Coders.Lexicon;

namespace Symphony.Coders.Evaluation;

/// <summary>One gold row: a code a coder reports (<see cref="Coded"/>) or must not report, with its evidence and what it tests.</summary>
public sealed record GoldRow(string Note, int Line, string System, string Code, bool Coded, IReadOnlyList<EvidenceSpan> Spans, IReadOnlyList<string> Categories, string Why);

/// <summary>One annotated note: its text, the setting it is coded in and its gold rows.</summary>
public sealed record AnnotatedNote(string Id, string Type, CareSetting Setting, string Text, IReadOnlyList<GoldRow> Gold);

/// <summary>
/// A hand-coded English set in the layout its annotation guide (GUIDE.md) describes: <c>index.tsv</c> (note, type, setting, …),
/// <c>notes/&lt;note&gt;.txt</c> and <c>gold/&lt;note&gt;.tsv</c> (system, code, expect, spans, quote, category, why). Notes
/// of the index without a gold file are not yet annotated and are left out.
/// </summary>
public sealed class AnnotatedSet
{
    /// <summary>What a gold row may test.</summary>
    public static readonly IReadOnlyList<string> Categories = ["plain", "context", "history", "family", "combination", "specificity", "laterality", "seventh", "pcs"];

    static readonly string[] Header = ["system", "code", "expect", "spans", "quote", "category", "why"];

    public required IReadOnlyList<AnnotatedNote> Notes { get; init; }
    /// <summary>Notes named by the index (annotated or not).</summary>
    public required int Indexed { get; init; }

    public static AnnotatedSet Load(string dir)
    {
        var indexFile = Path.Combine(dir, "index.tsv");
        if (!File.Exists(indexFile)) throw new FileNotFoundException($"{indexFile} not found: an annotated set has index.tsv, notes/ and gold/.");
        var lines = File.ReadAllLines(indexFile);
        var columns = lines.Length == 0 ? [] : lines[0].Split('\t');
        int Column(string name) => Array.IndexOf(columns, name) is var i and >= 0 ? i : throw new FormatException($"{indexFile}: no '{name}' column in the header.");
        int noteColumn = Column("note"), typeColumn = Column("type"), settingColumn = Column("setting");
        var notes = new List<AnnotatedNote>();
        var indexed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var f = lines[i].Split('\t');
            var id = f[noteColumn].Trim();
            indexed.Add(id);
            var setting = f[settingColumn].Trim() switch
            {
                "inpatient" => CareSetting.Inpatient,
                "outpatient" => CareSetting.Outpatient,
                var other => throw new FormatException($"{indexFile}:{i + 1}: setting '{other}' (expected inpatient or outpatient)."),
            };
            var goldFile = Path.Combine(dir, "gold", id + ".tsv");
            if (!File.Exists(goldFile)) continue;
            var text = File.ReadAllText(Path.Combine(dir, "notes", id + ".txt"));
            notes.Add(new AnnotatedNote(id, f[typeColumn].Trim(), setting, text, ReadGold(goldFile, id, text)));
        }
        var goldDir = Path.Combine(dir, "gold");
        if (Directory.Exists(goldDir))
            foreach (var file in Directory.EnumerateFiles(goldDir, "*.tsv"))
                if (!indexed.Contains(Path.GetFileNameWithoutExtension(file)))
                    throw new FormatException($"{file}: the note is not in index.tsv.");
        return new AnnotatedSet { Notes = notes, Indexed = indexed.Count };
    }

    /// <summary>Reads and checks one gold file against its note: known system, expect and categories; spans inside the note; the quote equals the first span.</summary>
    public static List<GoldRow> ReadGold(string file, string note, string text)
    {
        var lines = File.ReadAllLines(file);
        if (lines.Length == 0 || !lines[0].Split('\t').Select(h => h.Trim()).SequenceEqual(Header))
            throw new FormatException($"{file}:1: the header must be {string.Join("<TAB>", Header)}.");
        var rows = new List<GoldRow>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var where = $"{file}:{i + 1}";
            var f = lines[i].Split('\t');
            if (f.Length != Header.Length) throw new FormatException($"{where}: {f.Length} columns, expected {Header.Length}.");
            var system = f[0].Trim() switch
            {
                "cm" => CodeSystems.Icd10Cm,
                "pcs" => CodeSystems.Icd10Pcs,
                var other => throw new FormatException($"{where}: system '{other}' (expected cm or pcs)."),
            };
            var coded = f[2].Trim() switch
            {
                "coded" => true,
                "not-coded" => false,
                var other => throw new FormatException($"{where}: expect '{other}' (expected coded or not-coded)."),
            };
            var spans = new List<EvidenceSpan>();
            foreach (var piece in f[3].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = piece.Split(':');
                if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                    || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length == 0)
                    throw new FormatException($"{where}: span '{piece}' (expected start:length).");
                if (start + length > text.Length) throw new FormatException($"{where}: span {piece} runs past the end of the note ({text.Length} characters).");
                spans.Add(new EvidenceSpan(start, length, text.Substring(start, length)));
            }
            if (spans.Count == 0) throw new FormatException($"{where}: no span.");
            if (f[4] != spans[0].Text) throw new FormatException($"{where}: the quote '{f[4]}' is not the note's text at {spans[0].Start}:{spans[0].Length} ('{spans[0].Text}').");
            var categories = f[5].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (categories.Length == 0) throw new FormatException($"{where}: no category.");
            foreach (var category in categories)
                if (!Categories.Contains(category))
                    throw new FormatException($"{where}: unknown category '{category}' (known: {string.Join(", ", Categories)}).");
            rows.Add(new GoldRow(note, i + 1, system, NormalizeCode(f[1]), coded, spans, categories, f[6].Trim()));
        }
        return rows;
    }

    /// <summary>Codes are compared without dots, upper case: E11.22 = E1122.</summary>
    public static string NormalizeCode(string code) => code.Trim().Replace(".", "", StringComparison.Ordinal).ToUpperInvariant();
}

/// <summary>True positives, false positives and false negatives of one slice of the set, with P/R/F1.</summary>
public sealed class Tally
{
    public int TruePositives { get; set; }
    public int FalsePositives { get; set; }
    public int FalseNegatives { get; set; }
    public double Precision => TruePositives + FalsePositives == 0 ? 0 : (double)TruePositives / (TruePositives + FalsePositives);
    public double Recall => TruePositives + FalseNegatives == 0 ? 0 : (double)TruePositives / (TruePositives + FalseNegatives);
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"P {Precision:0.000}  R {Recall:0.000}  F1 {F1:0.000}  (tp {TruePositives}, fp {FalsePositives}, fn {FalseNegatives})");
}

/// <summary>One note's outcome: its tallies and the average precision of the coder's ranking against its coded rows.</summary>
public sealed record NoteScore(string Note, CareSetting Setting, Tally Tally, double? AveragePrecision, IReadOnlyList<string> Missed, IReadOnlyList<string> Extra);

public sealed record AnnotatedScores(Tally Overall, IReadOnlyDictionary<string, Tally> BySystem, IReadOnlyDictionary<string, Tally> ByCategory, IReadOnlyList<NoteScore> Notes)
{
    /// <summary>Mean of the notes' average precision (notes with at least one coded row).</summary>
    public double MeanAveragePrecision => Notes.Where(n => n.AveragePrecision is not null).Select(n => n.AveragePrecision!.Value).DefaultIfEmpty(0).Average();
}

/// <summary>
/// Scores the coder's codes against the gold rows (the annotation guide, "Scoring"): a predicted code matching a
/// coded row is a true positive of that row's categories; a coded row not predicted a false negative of its
/// categories; a predicted code matching a not-coded row a false positive of that row's categories; any other
/// predicted code a false positive categorised by what the coder says of it (<see cref="ExtraCategory"/>).
/// </summary>
public static class AnnotatedScorer
{
    public static AnnotatedScores Score(IEnumerable<(AnnotatedNote Note, CodingResult Result)> coded)
    {
        var overall = new Tally();
        var bySystem = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
        var byCategory = AnnotatedSet.Categories.ToDictionary(c => c, _ => new Tally());
        var notes = new List<NoteScore>();
        foreach (var (note, result) in coded)
        {
            var tally = new Tally();
            var missed = new List<string>();
            var extra = new List<string>();
            void Count(string system, IEnumerable<string> categories, Action<Tally> add)
            {
                add(overall);
                add(tally);
                add(bySystem.TryGetValue(SystemName(system), out var t) ? t : bySystem[SystemName(system)] = new Tally());
                foreach (var category in categories.Distinct()) add(byCategory[category]);
            }
            var predicted = result.Codes.Select(c => (Concept: c, Key: (c.System, AnnotatedSet.NormalizeCode(c.Code)))).DistinctBy(p => p.Key).ToList();
            var gold = note.Gold.GroupBy(r => (r.System, r.Code)).ToDictionary(g => g.Key, g => g.ToList());
            foreach (var (concept, key) in predicted)
            {
                if (gold.TryGetValue(key, out var rows) && rows.FirstOrDefault(r => r.Coded) is { } hit)
                    Count(key.System, hit.Categories, t => t.TruePositives++);
                else
                {
                    var categories = rows is not null ? rows.SelectMany(r => r.Categories) : [ExtraCategory(concept, note.Gold)];
                    Count(key.System, categories, t => t.FalsePositives++);
                    extra.Add(key.Item2);
                }
            }
            var predictedKeys = predicted.Select(p => p.Key).ToHashSet();
            foreach (var row in note.Gold.Where(r => r.Coded).DistinctBy(r => (r.System, r.Code)))
                if (!predictedKeys.Contains((row.System, row.Code)))
                {
                    Count(row.System, row.Categories, t => t.FalseNegatives++);
                    missed.Add(row.Code);
                }
            notes.Add(new NoteScore(note.Id, note.Setting, tally, AveragePrecision(predicted.Select(p => p.Key).ToList(),
                note.Gold.Where(r => r.Coded).Select(r => (r.System, r.Code)).ToHashSet()), missed, extra));
        }
        return new AnnotatedScores(overall, bySystem, byCategory, notes);
    }

    /// <summary>
    /// The category of a predicted code no gold row names: what the coder says decided it (a history or family-history
    /// code, a code from an uncertain or negated mention), else how it differs from a coded gold code of the same
    /// category (only the 7th character: seventh; only the 6th, or a side the coder stated: laterality; otherwise:
    /// specificity), else pcs for a procedure, else plain.
    /// </summary>
    public static string ExtraCategory(CodedConcept code, IReadOnlyList<GoldRow> gold)
    {
        if (code.Status is MentionStatus.History || RuleWording.ReportsPastCondition(code)) return "history";
        if (code.Status is MentionStatus.Family || RuleWording.ReportsFamilyCondition(code)) return "family";
        if (code.Status is MentionStatus.Uncertain or MentionStatus.Negated or MentionStatus.Hypothetical) return "context";
        var predicted = AnnotatedSet.NormalizeCode(code.Code);
        if (code.System == CodeSystems.Icd10Cm && predicted.Length >= 3)
        {
            var sibling = gold.Where(r => r.Coded && r.System == code.System && r.Code.Length >= 3 && r.Code[..3] == predicted[..3]).Select(r => r.Code).FirstOrDefault();
            if (sibling is not null)
            {
                var firstDifference = Enumerable.Range(0, Math.Min(sibling.Length, predicted.Length)).FirstOrDefault(i => sibling[i] != predicted[i], Math.Min(sibling.Length, predicted.Length));
                if (sibling.Length == 7 && predicted.Length == 7 && firstDifference == 6) return "seventh";
                if (code.Rules.Any(r => r.StartsWith(Rules.LateralityRule.Name, StringComparison.Ordinal))
                    || (sibling.Length == predicted.Length && firstDifference == 5 && sibling[6..] == predicted[6..])) return "laterality";
                return "specificity";
            }
        }
        return code.System == CodeSystems.Icd10Pcs ? "pcs" : "plain";
    }

    /// <summary>Average precision of a ranked list against the gold set: the mean over gold codes of the precision at the rank where each is found (0 when not found).</summary>
    static double? AveragePrecision<T>(IReadOnlyList<T> ranked, HashSet<T> gold)
    {
        if (gold.Count == 0) return null;
        double hits = 0, sum = 0;
        for (var k = 0; k < ranked.Count; k++)
            if (gold.Contains(ranked[k])) sum += ++hits / (k + 1);
        return sum / gold.Count;
    }

    public static string SystemName(string system) => system == CodeSystems.Icd10Pcs ? "pcs" : "cm";
}
