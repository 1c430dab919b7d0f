namespace Symphony.Coders.Evaluation;

public sealed record Scores(double Precision, double Recall, double F1, double? MeanAveragePrecision, int TruePositives, int Predicted, int Gold)
{
    public override string ToString() =>
        $"P {Precision:0.000}  R {Recall:0.000}  F1 {F1:0.000}" + (MeanAveragePrecision is { } map ? $"  MAP {map:0.000}" : "") + $"  (tp {TruePositives}, predicted {Predicted}, gold {Gold})";

    public static Scores From(int tp, int predicted, int gold, double? map = null)
    {
        var p = predicted == 0 ? 0 : (double)tp / predicted;
        var r = gold == 0 ? 0 : (double)tp / gold;
        return new Scores(p, r, p + r == 0 ? 0 : 2 * p * r / (p + r), map, tp, predicted, gold);
    }
}

/// <summary>The CodiEsp measures: micro precision/recall/F1 and MAP over ranked codes; X F1 with span slack.</summary>
public static class CodiEspScorer
{
    /// <summary>A predicted span counts when it contains the gold span with at most this many characters to spare at each end.</summary>
    public const int SpanSlack = 10;

    /// <summary>Micro P/R/F1 over (document, code) pairs, and MAP over each gold document's ranked list.</summary>
    public static Scores ScoreCodes(IReadOnlyDictionary<string, List<string>> ranked, IReadOnlyDictionary<string, HashSet<string>> gold)
    {
        int tp = 0, predicted = 0, goldCount = 0;
        double apSum = 0;
        foreach (var (doc, codes) in gold)
        {
            goldCount += codes.Count;
            var list = ranked.GetValueOrDefault(doc) ?? [];
            var hits = 0;
            double precisionSum = 0;
            for (var k = 0; k < list.Count; k++)
            {
                if (!codes.Contains(list[k])) continue;
                hits++;
                precisionSum += (double)hits / (k + 1);
            }
            apSum += codes.Count == 0 ? 0 : precisionSum / codes.Count;
        }
        foreach (var (doc, list) in ranked)
        {
            if (!gold.ContainsKey(doc)) continue;
            var distinct = list.Distinct().ToList();
            predicted += distinct.Count;
            tp += distinct.Count(gold[doc].Contains);
        }
        return Scores.From(tp, predicted, goldCount, gold.Count == 0 ? 0 : apSum / gold.Count);
    }

    /// <summary>X track: a prediction matches an unmatched gold mention of the same document and code whose span it contains with ≤ <see cref="SpanSlack"/> characters of slack.</summary>
    public static Scores ScoreMentions(IEnumerable<CodiEspMention> predictions, IReadOnlyList<CodiEspMention> gold)
    {
        var goldDocs = gold.Select(g => g.Document).ToHashSet(StringComparer.Ordinal);
        var byKey = gold.GroupBy(g => (g.Document, g.Code)).ToDictionary(g => g.Key, g => g.ToList());
        var used = new HashSet<CodiEspMention>(ReferenceEqualityComparer.Instance);
        int tp = 0, predicted = 0;
        foreach (var p in predictions.DistinctBy(p => (p.Document, p.Code, p.Start, p.End)))
        {
            if (!goldDocs.Contains(p.Document)) continue;
            predicted++;
            if (!byKey.TryGetValue((p.Document, p.Code), out var candidates)) continue;
            var match = candidates.FirstOrDefault(g => !used.Contains(g) && Contains(p, g));
            if (match is null) continue;
            used.Add(match);
            tp++;
        }
        return Scores.From(tp, predicted, gold.Count);
    }

    static bool Contains(CodiEspMention predicted, CodiEspMention gold) =>
        predicted.Start <= gold.Start && gold.Start - predicted.Start <= SpanSlack &&
        predicted.End >= gold.End && predicted.End - gold.End <= SpanSlack;
}
