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
    // Words just before a drug that say it is taken now and regularly ("on insulin", "takes warfarin daily"), and
    // the words of a medication list heading: kinds "cue" and "heading" of the table.
    static readonly Dictionary<Language, (HashSet<string> Cues, HashSet<string> Headings, HashSet<string> NotHeadings)> Words = new();
    const int CueWindow = 3;

    static StatusCodes()
    {
        foreach (var language in new[] { Language.English, Language.Spanish })
        {
            var cues = new HashSet<string>(StringComparer.Ordinal);
            var headings = new HashSet<string>(StringComparer.Ordinal);
            var notHeadings = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in LanguageData.ReadLines($"status-codes-{language.ToCode()}.tsv").Select(l => l.Split('\t')))
                if (f[0] is "cue" or "heading" or "not-heading")
                    (f[0] == "cue" ? cues : f[0] == "heading" ? headings : notHeadings).UnionWith(Tokenizer.Tokenize(f[1], language).Tokens.Select(t => t.Key));
            Words[language] = (cues, headings, notHeadings);
        }
    }

    public StatusCodes(CodeSystemVersion icd10Cm)
    {
        foreach (var language in new[] { Language.English, Language.Spanish })
        {
            var byFirst = _byFirstKey[language] = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
            foreach (var line in LanguageData.ReadLines($"status-codes-{language.ToCode()}.tsv"))
            {
                var f = line.Split('\t');
                if (f[0] is "cue" or "heading" or "not-heading") continue;
                var kind = f[0] switch { "drug" => Kind.Drug, "device" => Kind.Device, "past" => Kind.Past, _ => throw new InvalidOperationException($"status-codes: unknown kind '{f[0]}'") };
                if (icd10Cm.Find(f[2]) is not { IsBillable: true }) continue;
                var keys = Tokenizer.Tokenize(f[1], language).Tokens.Select(t => t.Key).ToArray();
                var entry = new Entry(kind, keys, f[1], f[2], f[3] == "-" ? null : CodeRanges.Parse(f[3]));
                if (!byFirst.TryGetValue(keys[0], out var list)) byFirst[keys[0]] = list = [];
                list.Add(entry);
                _all.Add(entry);
            }
            if (language == Language.English) AddDrugTableNames(icd10Cm, byFirst);
            foreach (var list in byFirst.Values) list.Sort((a, b) => b.Keys.Length.CompareTo(a.Keys.Length));
        }
    }

    /// <summary>
    /// One-word drug names of the Table of Drugs whose poisoning code lies in a class of Data/drug-classes.tsv
    /// (Coumadin, heparin, enoxaparin → Z79.01; prednisone → Z79.52), unless the table's curated lines already name
    /// the word or the classification uses it outside injury and poisoning titles (adrenal, cortex).
    /// </summary>
    void AddDrugTableNames(CodeSystemVersion icd10Cm, Dictionary<string, List<Entry>> byFirst)
    {
        var classes = LanguageData.ReadLines("drug-classes.tsv").Select(l => l.Split('\t')).Select(f => (Prefix: f[0], Code: f[1])).ToList();
        var names = new Dictionary<string, (string Name, string Code)>(StringComparer.Ordinal);
        foreach (var entry in icd10Cm.IndexEntries)
        {
            if (entry.Index != "drug" || entry.Path.Count != 1 || entry.Column?.StartsWith("Poisoning", StringComparison.OrdinalIgnoreCase) != true
                || !entry.Column.Contains("Accidental", StringComparison.OrdinalIgnoreCase)) continue;
            var cls = classes.FirstOrDefault(c => entry.Code.StartsWith(c.Prefix, StringComparison.Ordinal));
            if (cls.Code is null || icd10Cm.Find(cls.Code) is not { IsBillable: true }) continue;
            foreach (var name in entry.Path[0].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tokens = Tokenizer.Tokenize(name, Language.English).Tokens;
                if (tokens.Length == 1 && !tokens[0].IsStopword && tokens[0].Key.Length >= 5 && !byFirst.ContainsKey(tokens[0].Key))
                    names.TryAdd(tokens[0].Key, (name, cls.Code));
            }
        }
        if (names.Count == 0) return;
        // A name used as a word of the classification's titles outside injury, poisoning and external causes (chapters
        // S–Y) is a disease or anatomy word. Read without allocating: 95,000 titles at every start.
        var words = names.Values.Select(n => n.Name.ToLowerInvariant()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var lookup = words.GetAlternateLookup<ReadOnlySpan<char>>();
        var clinical = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in icd10Cm.Concepts.Values)
        {
            if (c.Code[0] is >= 'S' and <= 'Y') continue;
            var title = c.Display.AsSpan();
            for (var i = 0; i < title.Length;)
            {
                if (!char.IsLetter(title[i])) { i++; continue; }
                var start = i;
                while (i < title.Length && char.IsLetter(title[i])) i++;
                if (lookup.TryGetValue(title[start..i], out var word)) clinical.Add(word);
            }
        }
        foreach (var (key, (name, code)) in names.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            if (clinical.Contains(name)) continue;
            var entry = new Entry(Kind.Drug, [key], name.ToLowerInvariant(), code, null);
            byFirst[key] = [entry];
            _all.Add(entry);
        }
    }

    public IReadOnlyList<Entry> Entries => _all;

    /// <summary>Whether a code lies in a category the table's codes belong to (Z79, Z90, Z94, Z95, Z96, Z99).</summary>
    public bool Covers(string code) =>
        code.Length >= 3 && (_categories ??= _all.Where(e => e.Code.Length >= 3).Select(e => e.Code[..3]).ToHashSet(StringComparer.Ordinal)).Contains(code[..3]);

    HashSet<string>? _categories; // built on first use; a race builds the same set twice

    /// <summary>The table's phrases in a sentence, longest first at each word; null when there is none (or no table for the language).</summary>
    public List<Hit>? Find(TokenizedText text, Sentence sentence, Language language)
    {
        List<Hit>? hits = null;
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
                (hits ??= []).Add(new Hit(i, i + entry.Keys.Length - 1, entry));
                i += entry.Keys.Length - 1;
                break;
            }
        }
        return hits;
    }

    /// <summary>Why the sentence supports the status code, or null when it does not (with the reason it does not).</summary>
    /// <param name="sectionHeader">The header of the note section holding the drug ("DISCHARGE MEDICATIONS"), when the note has one: a
    /// transcription written on one line has its medication list there rather than on lines of its own.</param>
    /// <param name="sectionStart">Where that section starts: a cue word before it was said of another section's drugs.</param>
    public static (string? Rule, string? Reason) Decide(Hit hit, MentionStatus status, string? trigger, TokenizedText text, Sentence sentence, Language language, string? sectionHeader = null, int sectionStart = 0)
    {
        var entry = hit.Entry;
        if (status is MentionStatus.Negated or MentionStatus.Family or MentionStatus.Hypothetical or MentionStatus.Uncertain)
            return (null, $"{status.ToString().ToLowerInvariant()}: '{trigger}'");
        switch (entry.Kind)
        {
            case Kind.Drug:
                // Under an allergy header the drugs named are the ones the patient must not take, whatever the line opens with.
                if ((sectionHeader is not null && IsMedicationHeading(sectionHeader, language))
                    || (InMedicationList(text.Text, sentence.Start, language) && !(sectionHeader is not null && NamesNotHeading(sectionHeader, language))))
                    return ($"{Name}:long-term drug '{entry.Phrase}' in a medication list → {entry.Code}", null);
                for (var i = Math.Max(sentence.FirstToken, hit.First - CueWindow); i < hit.First; i++)
                    if (text.Tokens[i].Start >= sectionStart && Words[language].Cues.Contains(text.Tokens[i].Key))
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

    /// <summary>A section header that names a medication list ("MEDICATIONS", "DISCHARGE MEDICATIONS"), not an allergy list ("ALLERGIES TO MEDICATIONS").</summary>
    public static bool IsMedicationHeading(string header, Language language) =>
        Tokenizer.Tokenize(header, language).Tokens.Any(t => Words[language].Headings.Contains(t.Key)) && !NamesNotHeading(header, language);

    static bool NamesNotHeading(string header, Language language) =>
        Tokenizer.Tokenize(header, language).Tokens.Any(t => Words[language].NotHeadings.Contains(t.Key));

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

    /// <summary>
    /// A medication heading word among the first three words of the line starting at <paramref name="start"/>;
    /// <paramref name="words"/> counts the line's words up to four. Reads only those words (a drug is named often).
    /// </summary>
    static bool OpensWithHeading(string text, int start, Language language, out int words)
    {
        words = 0;
        var found = false;
        for (var i = start; i < text.Length && text[i] != '\n' && words < 4;)
        {
            if (!char.IsLetterOrDigit(text[i])) { i++; continue; }
            var begin = i;
            while (i < text.Length && char.IsLetterOrDigit(text[i])) i++;
            if (words++ < 3 && !found) found = Words[language].Headings.Contains(TextNormalizer.Normalize(text.AsSpan(begin, i - begin), language));
        }
        return found;
    }
}
