using System.Text;

namespace Symphony.Coders.Agent;

/// <summary>
/// Finds a quote in the note and returns where it is. Offsets always come from here, never from
/// the model. A quote matches verbatim, or else with case and runs of white space ignored (models
/// re-flow line breaks); the span's text is always the note's own.
/// </summary>
public static class QuoteLocator
{
    /// <summary>Shorter quotes ("a", "HF") prove nothing: they occur anywhere.</summary>
    public const int MinimumLetters = 3;
    const int MaxOccurrences = 5;

    public static List<EvidenceSpan> Locate(string note, string quote)
    {
        var spans = new List<EvidenceSpan>();
        var wanted = quote.Trim();
        if (wanted.Count(char.IsLetterOrDigit) < MinimumLetters) return spans;
        for (var at = note.IndexOf(wanted, StringComparison.Ordinal); at >= 0 && spans.Count < MaxOccurrences; at = note.IndexOf(wanted, at + wanted.Length, StringComparison.Ordinal))
            spans.Add(new EvidenceSpan(at, wanted.Length, note.Substring(at, wanted.Length)));
        if (spans.Count > 0) return spans;

        var (flat, origin) = Flatten(note);
        var (flatQuote, _) = Flatten(wanted);
        for (var at = flat.IndexOf(flatQuote, StringComparison.Ordinal); at >= 0 && spans.Count < MaxOccurrences; at = flat.IndexOf(flatQuote, at + flatQuote.Length, StringComparison.Ordinal))
        {
            var start = origin[at];
            var end = origin[at + flatQuote.Length - 1] + 1;
            spans.Add(new EvidenceSpan(start, end - start, note[start..end]));
        }
        return spans;
    }

    /// <summary>Lower case with each white-space run as one space, and for each kept character its index in the original.</summary>
    static (string Flat, int[] Origin) Flatten(string text)
    {
        var flat = new StringBuilder(text.Length);
        var origin = new List<int>(text.Length);
        var lastWasSpace = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (char.IsWhiteSpace(ch))
            {
                if (lastWasSpace || flat.Length == 0) continue;
                flat.Append(' ');
                origin.Add(i);
                lastWasSpace = true;
                continue;
            }
            flat.Append(char.ToLowerInvariant(ch));
            origin.Add(i);
            lastWasSpace = false;
        }
        return (flat.ToString(), origin.ToArray());
    }
}
