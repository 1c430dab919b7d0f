using Symphony.Coders.Text;

namespace Symphony.Coders.Rules;

/// <summary>
/// Guideline I.C.21.c.4: a personal-history code is for a condition that no longer exists and is not treated. A
/// chronic condition (Data/chronic-conditions.tsv: diabetes, hypertension, CKD, COPD, heart failure, …) written as
/// "history of" is still present, so the condition itself is coded as current — unless the words near it say it
/// ended (Data/resolved-{lang}.tsv: "resolved", "no longer").
/// </summary>
public static class ChronicConditions
{
    public const string Name = "chronic-condition";

    sealed record Row(CodeRanges Ranges, string Condition);

    static readonly List<Row> Rows = LanguageData.ReadLines("chronic-conditions.tsv")
        .Select(line => line.Split('\t'))
        .Select(f => new Row(CodeRanges.Parse(f[0]) ?? throw new InvalidOperationException($"chronic-conditions.tsv: no code range in '{f[0]}'"), f[1]))
        .ToList();

    static readonly Dictionary<Language, string[][]> Cues = new()
    {
        [Language.English] = ReadCues(Language.English),
        [Language.Spanish] = ReadCues(Language.Spanish),
    };

    static string[][] ReadCues(Language language) => LanguageData.ReadLines($"resolved-{language.ToCode()}.tsv")
        .Select(line => line.Split('\t')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => TextNormalizer.Normalize(w, language)).ToArray())
        .ToArray();

    /// <summary>Words either side of a mention read for a word saying the condition ended.</summary>
    const int CueWindow = 8;

    /// <summary>The chronic condition an ICD-10-CM code belongs to, or null.</summary>
    public static string? Condition(string code)
    {
        foreach (var row in Rows)
            if (row.Ranges.Contains(code)) return row.Condition;
        return null;
    }

    /// <summary>The condition's name when a "history of" mention of the code is a chronic condition the sentence does not say ended; else null.</summary>
    public static string? StillPresent(string code, TokenizedText text, Sentence sentence, int first, int last, Language language)
    {
        if (Condition(code) is not { } condition) return null;
        var from = Math.Max(sentence.FirstToken, first - CueWindow);
        var to = Math.Min(sentence.FirstToken + sentence.TokenCount - 1, last + CueWindow);
        foreach (var cue in Cues[language])
            for (var i = from; i + cue.Length - 1 <= to; i++)
            {
                var match = true;
                for (var k = 0; k < cue.Length && match; k++) match = text.Tokens[i + k].Key == cue[k];
                if (match) return null;
            }
        return condition;
    }
}
