using System.Text.RegularExpressions;
using Symphony.Coders;

namespace Symphony.Fhir.Server.Review;

/// <summary>
/// Where the words of one note version are in the next: a word-level diff (the longest common subsequence of the two
/// versions' words, after their common beginning and end) that maps an evidence span of the old text onto the new one
/// when every word it touches is unchanged and moved by the same amount — the same words, in the same place among
/// themselves. Anything else (a word of the span changed, removed, or the words around it re-spaced) does not map.
/// </summary>
public sealed partial class NoteTextDiff
{
    /// <summary>Above this many word pairs in the changed middle the diff gives up on the middle (nothing there maps): a bound on time and memory.</summary>
    const long MaxMiddleCells = 16_000_000;

    readonly List<Word> _old;
    readonly string _newText;
    /// <summary>For each old word, the start of the same word in the new text, or -1 when it did not survive.</summary>
    readonly int[] _movedTo;

    readonly record struct Word(int Start, string Text);

    public NoteTextDiff(string oldText, string newText)
    {
        _newText = newText;
        _old = Words(oldText);
        var next = Words(newText);
        _movedTo = Enumerable.Repeat(-1, _old.Count).ToArray();
        var prefix = 0;
        while (prefix < _old.Count && prefix < next.Count && _old[prefix].Text == next[prefix].Text)
        {
            _movedTo[prefix] = next[prefix].Start;
            prefix++;
        }
        var suffix = 0;
        while (suffix < _old.Count - prefix && suffix < next.Count - prefix && _old[^(suffix + 1)].Text == next[^(suffix + 1)].Text)
        {
            _movedTo[_old.Count - 1 - suffix] = next[^(suffix + 1)].Start;
            suffix++;
        }
        var oldMiddle = _old.Count - prefix - suffix;
        var newMiddle = next.Count - prefix - suffix;
        if (oldMiddle == 0 || newMiddle == 0 || (long)oldMiddle * newMiddle > MaxMiddleCells) return;

        // Longest common subsequence of the middles, filled from the end so the walk below goes forward.
        var lengths = new int[oldMiddle + 1, newMiddle + 1];
        for (var i = oldMiddle - 1; i >= 0; i--)
            for (var j = newMiddle - 1; j >= 0; j--)
                lengths[i, j] = _old[prefix + i].Text == next[prefix + j].Text
                    ? lengths[i + 1, j + 1] + 1
                    : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
        for (int i = 0, j = 0; i < oldMiddle && j < newMiddle;)
        {
            if (_old[prefix + i].Text == next[prefix + j].Text) { _movedTo[prefix + i] = next[prefix + j].Start; i++; j++; }
            else if (lengths[i + 1, j] >= lengths[i, j + 1]) i++;
            else j++;
        }
    }

    /// <summary>The span at the same words of the new text, or null when its words did not all survive, together and unchanged.</summary>
    public EvidenceSpan? Map(EvidenceSpan span)
    {
        var end = span.Start + span.Length;
        int? shift = null;
        var touched = 0;
        for (var i = 0; i < _old.Count && _old[i].Start < end; i++)
        {
            if (_old[i].Start + _old[i].Text.Length <= span.Start) continue;
            touched++;
            if (_movedTo[i] < 0) return null;
            var moved = _movedTo[i] - _old[i].Start;
            if (shift is { } same && same != moved) return null;
            shift = moved;
        }
        if (touched == 0 || shift is not { } by) return null;
        var start = span.Start + by;
        if (start < 0 || start + span.Length > _newText.Length) return null;
        var text = _newText.Substring(start, span.Length);
        return text == span.Text ? new EvidenceSpan(start, span.Length, text) : null;
    }

    static List<Word> Words(string text) => [.. WordPattern().Matches(text).Select(m => new Word(m.Index, m.Value))];

    [GeneratedRegex(@"\S+")]
    private static partial Regex WordPattern();
}
