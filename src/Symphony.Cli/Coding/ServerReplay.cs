using Symphony.Coders.Evaluation;
using Symphony.Coders.Text;

namespace Symphony.Cli.Coding;

/// <summary>
/// What a site does, replayed on CodiEsp through a running server: its coders review coded notes (the adapt-from splits, against
/// their gold), the server builds its site lexicon from those decisions, and new notes (the scored split) are coded with it and
/// read back from what the server wrote.
/// </summary>
public static class ServerReplay
{
    public static async Task<List<CodiEspPrediction>> RunAsync(Uri server, string dataDir, CodiEspSplit scored, Language language, IReadOnlyList<string> reviewSplits,
        IReadOnlyList<int> steps, TimeSpan timeout, Action<CodiEspSplit, IReadOnlyList<CodiEspPrediction>, Language> print)
    {
        using var http = await ServerEvaluation.ConnectAsync(server);
        var deadline = DateTime.UtcNow + timeout;
        var reviewTexts = new List<KeyValuePair<string, string>>();
        var gold = new List<GoldMention>();
        foreach (var name in reviewSplits)
        {
            var split = CodiEspSplit.Load(dataDir, name, language);
            reviewTexts.AddRange(split.Texts.OrderBy(kv => kv.Key, StringComparer.Ordinal));
            gold.AddRange(ServerEvaluation.Gold(dataDir, name, split.Texts));
        }
        var goldByDocument = gold.GroupBy(g => g.Document).ToDictionary(g => g.Key, g => g.ToList());
        var targets = steps.Count > 0 ? steps.Order().ToList() : [reviewTexts.Count];
        var reviewed = 0;
        List<CodiEspPrediction> predictions = [];
        foreach (var target in targets)
        {
            await ServerToken.AuthorizeAsync(http, server); // a fresh token per step: a whole curve outlasts one
            if (target > reviewed)
            {
                var batch = reviewTexts.Skip(reviewed).Take(target - reviewed).ToList();
                var (decisions, leftOut) = await ReviewAsync(http, batch, goldByDocument, language, deadline);
                reviewed += batch.Count;
                Console.WriteLine($"reviewed {reviewed} notes ({decisions} decisions; {leftOut.Count} gold codes the server's terminology does not hold left out: {string.Join(' ', leftOut.Distinct().Take(8))}{(leftOut.Distinct().Count() > 8 ? " …" : "")})");
            }
            string? expected = null;
            if (reviewed > 0)
            {
                var (version, entries, fromDecisions) = await ServerEvaluation.WaitForLexiconAsync(http, language, deadline);
                expected = $"$site-lexicon?language={language.ToCode()}&version={version}";
                Console.WriteLine($"site lexicon {language.ToCode()} version {version}: {entries} phrases from {fromDecisions} decisions");
            }
            predictions = await CodeAsync(http, scored, language, expected, deadline);
            Console.WriteLine(reviewSplits.Count == 0 ? "with the server's own site lexicon:" : $"after {reviewed} reviewed notes:");
            print(scored, predictions, language);
        }
        return predictions;
    }

    /// <summary>Sends the notes, waits for them to be coded, and reviews each against its gold mentions.</summary>
    public static async Task<(int Decisions, List<string> LeftOut)> ReviewAsync(HttpClient http, IReadOnlyList<KeyValuePair<string, string>> notes,
        IReadOnlyDictionary<string, List<GoldMention>> gold, Language language, DateTime deadline)
    {
        var ids = await ServerEvaluation.SendAsync(http, notes, language, ServerEvaluation.NewRun("rv"), deadline);
        var decisions = 0;
        var leftOut = new List<string>();
        foreach (var (doc, id) in ids)
        {
            var (stored, refused) = await ServerEvaluation.ReviewAsync(http, id, gold.GetValueOrDefault(doc) ?? []);
            decisions += stored;
            leftOut.AddRange(refused);
        }
        return (decisions, leftOut);
    }

    /// <summary>Codes the split through the server and reads back what it wrote; says how many notes were not coded with the expected lexicon.</summary>
    public static async Task<List<CodiEspPrediction>> CodeAsync(HttpClient http, CodiEspSplit corpus, Language language, string? expectedLexicon, DateTime deadline)
    {
        var ids = await ServerEvaluation.SendAsync(http, corpus.Texts, language, ServerEvaluation.NewRun("ce"), deadline);
        var predictions = new List<CodiEspPrediction>();
        var otherLexicon = 0;
        foreach (var (doc, id) in ids)
        {
            predictions.Add(await ServerEvaluation.ReadBackAsync(http, doc, id, corpus.Texts[doc]));
            if (expectedLexicon is not null && await ServerEvaluation.LexiconOfAsync(http, id) != expectedLexicon) otherLexicon++;
        }
        Console.WriteLine($"coded {ids.Count} notes through the server" + (expectedLexicon is null ? "" : $"; {otherLexicon} not with {expectedLexicon}"));
        return predictions;
    }
}
