using System.Runtime.CompilerServices;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Services;

/// <summary>
/// A <see cref="CodeSystemVersion"/> with the lookup structures the operations need: concepts by
/// dense id, children and parent ids, a case- and dot-insensitive code lookup, and an inverted word
/// index for ranked text search. Built once per loaded version (or read back from its stored
/// snapshot, see CompiledCodeSystem.Snapshot.cs); read-only and thread-safe afterwards.
/// </summary>
public sealed partial class CompiledCodeSystem
{
    // A loaded version is immutable, so everything in one process (endpoints, importer, several servers
    // in a test run) shares its compiled form.
    static readonly ConditionalWeakTable<CodeSystemVersion, CompiledCodeSystem> Shared = new();

    readonly Dictionary<string, int> idByCode;
    readonly Dictionary<string, int> idByLooseCode;
    readonly int[] parentId;
    readonly int[][] childIds;
    readonly string[] sortedCodes;
    readonly int[] sortedCodeIds;
    // Search: each concept's words (display first), and word -> concept ids.
    readonly string[][] displayWords;
    readonly string[][] otherWords;
    readonly string[] sortedWords;
    readonly int[][] postings;

    public CodeSystemVersion Version { get; }
    public Concept[] Concepts { get; }
    public string Url => Version.Url;

    /// <summary>The compiled form of <paramref name="version"/>, built on first use and shared by every caller in the process.</summary>
    public static CompiledCodeSystem Of(CodeSystemVersion version) => Shared.GetValue(version, v => new CompiledCodeSystem(v));

    public CompiledCodeSystem(CodeSystemVersion version) : this(version, Compile(version))
    {
    }

    /// <summary>The parts that cost time to build, which a snapshot stores; the hash lookups and the tree ids are rebuilt from them.</summary>
    sealed record Parts(
        Concept[] Concepts, string[] SortedCodes, int[] SortedCodeIds,
        string[][] DisplayWords, string[][] OtherWords, string[] SortedWords, int[][] Postings);

    CompiledCodeSystem(CodeSystemVersion version, Parts parts)
    {
        Version = version;
        Concepts = parts.Concepts;
        sortedCodes = parts.SortedCodes;
        sortedCodeIds = parts.SortedCodeIds;
        displayWords = parts.DisplayWords;
        otherWords = parts.OtherWords;
        sortedWords = parts.SortedWords;
        postings = parts.Postings;

        var n = Concepts.Length;
        idByCode = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++) idByCode[Concepts[i].Code] = i;
        // Two codes with the same loose form: the first concept keeps it.
        idByLooseCode = new Dictionary<string, int>(n, StringComparer.OrdinalIgnoreCase);
        for (var k = 0; k < n; k++)
        {
            var id = sortedCodeIds[k];
            if (!idByLooseCode.TryAdd(sortedCodes[k], id) && id < idByLooseCode[sortedCodes[k]]) idByLooseCode[sortedCodes[k]] = id;
        }
        parentId = new int[n];
        childIds = new int[n][];
        for (var i = 0; i < n; i++)
        {
            var c = Concepts[i];
            parentId[i] = c.ParentCode is not null && idByCode.TryGetValue(c.ParentCode, out var p) ? p : -1;
            var children = c.Children.Count == 0 ? [] : new int[c.Children.Count];
            var known = 0;
            foreach (var code in c.Children)
                if (idByCode.TryGetValue(code, out var child)) children[known++] = child;
            childIds[i] = known == children.Length ? children : children[..known];
        }
    }

    static Parts Compile(CodeSystemVersion version)
    {
        Concept[] concepts = [.. version.Concepts.Values];
        var n = concepts.Length;
        var sortedCodes = concepts.Select(c => Loose(c.Code)).ToArray();
        var sortedCodeIds = Enumerable.Range(0, n).ToArray();
        Array.Sort(sortedCodes, sortedCodeIds, StringComparer.Ordinal);

        var displayWords = new string[n][];
        var otherWords = new string[n][];
        var index = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var interned = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var c = concepts[i];
            displayWords[i] = Words(c.Display, interned);
            var other = c.Designations.Select(d => d.Value).Concat(c.Notes.Where(note => note.Kind == NoteKind.InclusionTerm).Select(note => note.Text));
            otherWords[i] = other.SelectMany(text => Words(text, interned)).Distinct().ToArray();
            foreach (var word in displayWords[i].Concat(otherWords[i]).Distinct())
            {
                if (!index.TryGetValue(word, out var list)) index[word] = list = [];
                list.Add(i);
            }
        }
        string[] sortedWords = [.. index.Keys.Order(StringComparer.Ordinal)];
        var postings = sortedWords.Select(w => index[w].ToArray()).ToArray();
        return new Parts(concepts, sortedCodes, sortedCodeIds, displayWords, otherWords, sortedWords, postings);
    }

    /// <summary>Code without dots, upper case: "e11.22" and "E1122" both find E11.22.</summary>
    static string Loose(string code) => code.Replace(".", "").ToUpperInvariant();

    public int IdOf(string code) =>
        idByCode.TryGetValue(code, out var id) ? id : idByLooseCode.TryGetValue(Loose(code), out id) ? id : -1;

    public Concept? Find(string code) => IdOf(code) is var id and >= 0 ? Concepts[id] : null;

    public int ParentOf(int id) => parentId[id];

    public IReadOnlyList<int> ChildrenOf(int id) => childIds[id];

    public bool IsAncestor(int ancestor, int id)
    {
        for (var p = parentId[id]; p >= 0; p = parentId[p])
            if (p == ancestor) return true;
        return false;
    }

    /// <summary>The concept and everything below it, depth first.</summary>
    public IEnumerable<int> SelfAndDescendants(int id)
    {
        var stack = new Stack<int>();
        stack.Push(id);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            yield return next;
            var children = childIds[next];
            for (var i = children.Length - 1; i >= 0; i--) stack.Push(children[i]);
        }
    }

    public static string[] Words(string text, Dictionary<string, string>? interned = null)
    {
        var words = new List<string>();
        var span = text.AsSpan();
        var start = -1;
        for (var i = 0; i <= span.Length; i++)
        {
            var inWord = i < span.Length && char.IsLetterOrDigit(span[i]);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                var word = span[start..i].ToString().ToLowerInvariant();
                if (interned is not null)
                {
                    if (interned.TryGetValue(word, out var existing)) word = existing;
                    else interned[word] = word;
                }
                words.Add(word);
                start = -1;
            }
        }
        return [.. words];
    }

    /// <summary>
    /// Concepts whose display, designations or inclusion terms contain every word of
    /// <paramref name="text"/> (as a word or a word prefix), best first; a text that is a code or code
    /// prefix also finds the codes. Ranking: exact words beat prefixes, display beats other names, and
    /// a display with few extra words beats a long one.
    /// </summary>
    public List<(int Id, double Score)> Search(string text, Func<int, bool>? accept = null)
    {
        var results = new List<(int Id, double Score)>();
        var seen = new HashSet<int>();
        var query = Words(text);
        if (query.Length == 0) return results;

        var codeQuery = Loose(text.Trim());
        if (codeQuery.Length >= 2 && char.IsAsciiLetterOrDigit(codeQuery[0]) && !codeQuery.Contains(' '))
        {
            var (from, to) = PrefixRange(sortedCodes, codeQuery);
            for (var i = from; i < to && i - from < 1000; i++)
            {
                var id = sortedCodeIds[i];
                if (accept is not null && !accept(id)) continue;
                seen.Add(id);
                results.Add((id, 10.0 - (sortedCodes[i].Length - codeQuery.Length) * 0.1));
            }
        }

        // Candidates come from the rarest query word; the others are checked against each concept's own words.
        var ranges = query.Distinct().Select(w => (Word: w, Range: PrefixRange(sortedWords, w))).ToList();
        var rarest = ranges.MinBy(r => Postings(r.Range));
        for (var w = rarest.Range.From; w < rarest.Range.To; w++)
        {
            foreach (var id in postings[w])
            {
                if (!seen.Add(id) || (accept is not null && !accept(id))) continue;
                var score = Score(id, query);
                if (score > 0) results.Add((id, score));
            }
        }
        results.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(Concepts[a.Id].Code, Concepts[b.Id].Code));
        return results;
    }

    long Postings((int From, int To) range)
    {
        long total = 0;
        for (var w = range.From; w < range.To; w++) total += postings[w].Length;
        return total;
    }

    double Score(int id, string[] query)
    {
        var display = displayWords[id];
        var other = otherWords[id];
        double sum = 0;
        var matchedDisplay = 0;
        foreach (var q in query)
        {
            var best = Best(display, q);
            if (best > 0) { matchedDisplay++; sum += best; continue; }
            best = Best(other, q) * 0.8;
            if (best == 0) return 0;
            sum += best;
        }
        var coverage = display.Length == 0 ? 0 : (double)matchedDisplay / display.Length;
        return sum / query.Length + coverage * 0.5 + (Concepts[id].IsBillable ? 0.05 : 0);
    }

    static double Best(string[] words, string q)
    {
        double best = 0;
        foreach (var w in words)
        {
            if (w == q) return 1.0;
            if (w.StartsWith(q, StringComparison.Ordinal)) best = 0.6;
        }
        return best;
    }

    static (int From, int To) PrefixRange(string[] sorted, string prefix)
    {
        var from = LowerBound(sorted, prefix);
        var to = from;
        while (to < sorted.Length && sorted[to].StartsWith(prefix, StringComparison.Ordinal)) to++;
        return (from, to);
    }

    static int LowerBound(string[] sorted, string value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(sorted[mid], value) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
