using Symphony.Coders.Context;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Rules;

/// <summary>
/// Status Z codes (guidelines I.C.21.c.3): long-term drug therapy (Z79), implants and grafts (Z95, Z96), acquired
/// absence (Z90), transplant status (Z94), dependence on machines (Z99) — from the phrases of
/// Data/status-codes-{lang}.tsv read word for word, each kind with what the sentence must say: a drug is taken long
/// term ("on insulin", a medication list), a device is there or was put in, a past procedure is written as past
/// ("status post appendectomy"). Lines whose code the loaded ICD-10-CM lacks are left out.
/// </summary>
public sealed class StatusCodes
{
    public const string Name = "status";

    public enum Kind { Drug, Device, Past }

    public sealed record Entry(Kind Kind, string[] Keys, string Phrase, string Code, CodeRanges? NotWith);

    /// <summary>A phrase found in a sentence, tokens [First, Last].</summary>
    public readonly record struct Hit(int First, int Last, Entry Entry);

    readonly Dictionary<Language, Dictionary<string, List<Entry>>> _byFirstKey = [];
    readonly List<Entry> _all = [];

    // Words just before a drug that say it is taken now and regularly ("on insulin", "takes warfarin daily").
    static readonly HashSet<string> LongTermCues = new[] { "on", "taking", "takes", "take", "uses", "using", "chronic", "daily", "home", "maintained", "continue", "continues", "continued", "long" }
        .Select(w => TextNormalizer.Normalize(w, Language.English)).ToHashSet(StringComparer.Ordinal);
    static readonly HashSet<string> MedicationHeadings = new[] { "medications", "medication", "meds", "medicines" }
        .Select(w => TextNormalizer.Normalize(w, Language.English)).ToHashSet(StringComparer.Ordinal);
    const int CueWindow = 3;

    public StatusCodes(CodeSystemVersion icd10Cm)
    {
        foreach (var language in new[] { Language.English })
        {
            var byFirst = _byFirstKey[language] = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
            foreach (var line in LanguageData.ReadLines($"status-codes-{language.ToCode()}.tsv"))
            {
                var f = line.Split('\t');
                var kind = f[0] switch { "drug" => Kind.Drug, "device" => Kind.Device, "past" => Kind.Past, _ => throw new InvalidOperationException($"status-codes: unknown kind '{f[0]}'") };
                if (icd10Cm.Find(f[2]) is not { IsBillable: true }) continue;
                var keys = Tokenizer.Tokenize(f[1], language).Tokens.Select(t => t.Key).ToArray();
                var entry = new Entry(kind, keys, f[1], f[2], f[3] == "-" ? null : CodeRanges.Parse(f[3]));
                if (!byFirst.TryGetValue(keys[0], out var list)) byFirst[keys[0]] = list = [];
                list.Add(entry);
                _all.Add(entry);
            }
            foreach (var list in byFirst.Values) list.Sort((a, b) => b.Keys.Length.CompareTo(a.Keys.Length));
        }
    }

    public IReadOnlyList<Entry> Entries => _all;

    /// <summary>The table's phrases in a sentence, longest first at each word; none for a language without a table.</summary>
    public List<Hit> Find(TokenizedText text, Sentence sentence, Language language)
    {
        var hits = new List<Hit>();
        if (!_byFirstKey.TryGetValue(language, out var byFirst)) return hits;
        var stop = sentence.FirstToken + sentence.TokenCount;
        for (var i = sentence.FirstToken; i < stop; i++)
        {
            if (!byFirst.TryGetValue(text.Tokens[i].Key, out var candidates)) continue;
            foreach (var entry in candidates)
            {
                if (i + entry.Keys.Length > stop) continue;
                var match = true;
                for (var k = 1; k < entry.Keys.Length && match; k++) match = text.Tokens[i + k].Key == entry.Keys[k];
                if (!match) continue;
                hits.Add(new Hit(i, i + entry.Keys.Length - 1, entry));
                i += entry.Keys.Length - 1;
                break;
            }
        }
        return hits;
    }

    /// <summary>Why the sentence supports the status code, or null when it does not (with the reason it does not).</summary>
    public static (string? Rule, string? Reason) Decide(Hit hit, MentionStatus status, string? trigger, TokenizedText text, Sentence sentence, Language language)
    {
        var entry = hit.Entry;
        if (status is MentionStatus.Negated or MentionStatus.Family or MentionStatus.Hypothetical or MentionStatus.Uncertain)
            return (null, $"{status.ToString().ToLowerInvariant()}: '{trigger}'");
        switch (entry.Kind)
        {
            case Kind.Drug:
                if (InMedicationList(text.Text, sentence.Start, language))
                    return ($"{Name}:long-term drug '{entry.Phrase}' in a medication list → {entry.Code}", null);
                for (var i = Math.Max(sentence.FirstToken, hit.First - CueWindow); i < hit.First; i++)
                    if (LongTermCues.Contains(text.Tokens[i].Key))
                        return ($"{Name}:long-term drug '{entry.Phrase}' ('{text.Text.Substring(text.Tokens[i].Start, text.Tokens[i].Length)}') → {entry.Code}", null);
                return (null, "a drug not said to be taken long term");
            case Kind.Device:
                return ($"{Name}:'{entry.Phrase}' → {entry.Code}", null);
            default:
                return status == MentionStatus.History
                    ? ($"{Name}:past procedure '{entry.Phrase}' ('{trigger}') → {entry.Code}", null)
                    : (null, "a procedure not said to be past");
        }
    }

    /// <summary>
    /// The line holding the sentence opens with a medication heading ("MEDICATIONS: , Coumadin …; metformin …"), or the
    /// line before it is one on its own ("# Medications" above a list).
    /// </summary>
    static bool InMedicationList(string text, int position, Language language)
    {
        var lineStart = text.LastIndexOf('\n', Math.Max(0, position - 1)) + 1;
        if (position == 0) lineStart = 0;
        if (OpensWithHeading(text, lineStart, language, out _)) return true;
        if (lineStart < 2) return false;
        var previousStart = text.LastIndexOf('\n', lineStart - 2) + 1;
        return OpensWithHeading(text, previousStart, language, out var words) && words <= 3;
    }

    /// <summary>A medication heading word among the first three words of the line starting at <paramref name="start"/>; <paramref name="words"/> counts the line's words.</summary>
    static bool OpensWithHeading(string text, int start, Language language, out int words)
    {
        var end = text.IndexOf('\n', start);
        var line = text.AsSpan(start, (end < 0 ? text.Length : end) - start);
        if (line.Length > 2000) line = line[..2000];
        var tokens = Tokenizer.Tokenize(line.ToString(), language).Tokens;
        words = tokens.Length;
        for (var i = 0; i < Math.Min(3, tokens.Length); i++)
            if (MedicationHeadings.Contains(tokens[i].Key)) return true;
        return false;
    }
}
