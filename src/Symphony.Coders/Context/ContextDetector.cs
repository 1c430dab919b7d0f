using Symphony.Coders.Text;

namespace Symphony.Coders.Context;

/// <summary>
/// Decides a mention's status from the words around it in its sentence (NegEx/ConText): a
/// forward trigger ("no", "history of", "sin") governs the words after it up to a terminating
/// word ("but", "pero") or <see cref="ForwardScope"/> words; a backward trigger ("was negative",
/// "descartado") governs the few words before it. Triggers are per-language data files.
/// </summary>
public sealed class ContextDetector
{
    public const int ForwardScope = 12;
    public const int BackwardScope = 6;

    public enum Direction { Forward, Backward, Both }
    /// <summary>One line of a context data file; a null status terminates the scope of other triggers.</summary>
    public sealed record Trigger(string[] Keys, string Phrase, MentionStatus? Status, Direction Direction);

    /// <summary>A trigger found in a sentence, tokens [Start, End].</summary>
    public readonly record struct TriggerHit(int Start, int End, Trigger Trigger);

    static readonly ContextDetector English = new(Language.English);
    static readonly ContextDetector Spanish = new(Language.Spanish);
    public static ContextDetector For(Language language) => language == Language.Spanish ? Spanish : English;

    readonly Dictionary<string, List<Trigger>> _byFirstKey = new(StringComparer.Ordinal);

    ContextDetector(Language language)
    {
        foreach (var line in LanguageData.ReadLines($"context-{language.ToCode()}.tsv"))
        {
            var fields = line.Split('\t');
            // The tokenizer splits at a slash, so "s/p" and "r/o" are read as two words.
            var keys = fields[0].Split([' ', '/'], StringSplitOptions.RemoveEmptyEntries)
                .Select(w => TextNormalizer.Normalize(w, language)).ToArray();
            MentionStatus? status = fields[1] switch
            {
                "negated" => MentionStatus.Negated,
                "uncertain" => MentionStatus.Uncertain,
                "history" => MentionStatus.History,
                "family" => MentionStatus.Family,
                "hypothetical" => MentionStatus.Hypothetical,
                "terminate" => null,
                _ => throw new InvalidOperationException($"context-{language.ToCode()}.tsv: unknown status '{fields[1]}'"),
            };
            var direction = fields[2] switch { "backward" => Direction.Backward, "both" => Direction.Both, _ => Direction.Forward };
            var trigger = new Trigger(keys, fields[0], status, direction);
            if (!_byFirstKey.TryGetValue(keys[0], out var list)) _byFirstKey[keys[0]] = list = [];
            list.Add(trigger);
        }
        foreach (var list in _byFirstKey.Values) list.Sort((a, b) => b.Keys.Length.CompareTo(a.Keys.Length));
    }

    /// <summary>The status of the mention covering tokens [first, last] of the sentence, with the trigger phrase that decided it.</summary>
    public (MentionStatus Status, string? Trigger) Classify(TokenizedText text, Sentence sentence, int first, int last) =>
        Classify(text, FindTriggers(text, sentence), first, last);

    /// <summary>As above, with the sentence's triggers found once by <see cref="FindTriggers"/> and reused for each mention.</summary>
    public (MentionStatus Status, string? Trigger) Classify(TokenizedText text, IReadOnlyList<TriggerHit> found, int first, int last)
    {
        MentionStatus best = MentionStatus.Affirmed;
        string? bestPhrase = null;
        foreach (var hit in found)
        {
            var (start, end, trigger) = (hit.Start, hit.End, hit.Trigger);
            if (trigger.Status is not { } status) continue;
            var applies = false;
            if (trigger.Direction != Direction.Backward && end < first && first - end <= ForwardScope && !TerminatorBetween(found, end, first))
                applies = true;
            if (trigger.Direction != Direction.Forward && start > last && start - last <= BackwardScope && !TerminatorBetween(found, last, start))
                applies = true;
            if (applies && Rank(status) > Rank(best)) (best, bestPhrase) = (status, text.Text.Substring(text.Tokens[start].Start, text.Tokens[end].End - text.Tokens[start].Start));
        }
        return (best, bestPhrase);
    }

    static int Rank(MentionStatus status) => status switch
    {
        MentionStatus.Negated => 5,
        MentionStatus.Family => 4,
        MentionStatus.History => 3,
        MentionStatus.Hypothetical => 2,
        MentionStatus.Uncertain => 1,
        _ => 0,
    };

    static bool TerminatorBetween(IReadOnlyList<TriggerHit> found, int after, int before)
    {
        foreach (var hit in found)
            if (hit.Trigger.Status is null && hit.Start > after && hit.End < before) return true;
        return false;
    }

    public IReadOnlyList<TriggerHit> FindTriggers(TokenizedText text, Sentence sentence)
    {
        var found = new List<TriggerHit>();
        var stop = sentence.FirstToken + sentence.TokenCount;
        for (var i = sentence.FirstToken; i < stop; i++)
        {
            if (!_byFirstKey.TryGetValue(text.Tokens[i].Key, out var candidates)) continue;
            foreach (var trigger in candidates)
            {
                if (i + trigger.Keys.Length > stop) continue;
                var match = true;
                for (var k = 1; k < trigger.Keys.Length && match; k++) match = text.Tokens[i + k].Key == trigger.Keys[k];
                if (!match) continue;
                found.Add(new TriggerHit(i, i + trigger.Keys.Length - 1, trigger));
                i += trigger.Keys.Length - 1;
                break;
            }
        }
        return found;
    }
}
