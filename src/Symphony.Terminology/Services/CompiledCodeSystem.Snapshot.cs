using System.IO.Compression;
using System.Text;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Services;

/// <summary>
/// The snapshot: a compiled version as one compressed blob, so a restart reads it back instead of
/// reading rows and rebuilding the sorted codes and the word index. Layout: "SYMCS", format (int32),
/// payload length (int32), then zlib of the payload: a string table (each distinct string once), the
/// version header, the concepts, the index entries, the sorted codes and the word index, all strings
/// as table numbers and all numbers 7-bit encoded. A reader that meets another format or anything
/// malformed returns null, and the caller rebuilds from rows.
/// </summary>
public sealed partial class CompiledCodeSystem
{
    /// <summary>Raise whenever the layout or what is compiled changes: older snapshots are then rebuilt from rows.</summary>
    public const int SnapshotFormat = 2;

    static ReadOnlySpan<byte> Magic => "SYMCS"u8;
    const int EndMarker = 0x53594D43;

    public byte[] ToSnapshot()
    {
        var strings = new Dictionary<string, int>(StringComparer.Ordinal);
        var table = new List<string>();
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            // 0 = null, else 1 + position in the string table.
            void S(string? value)
            {
                if (value is null)
                {
                    w.Write7BitEncodedInt(0);
                    return;
                }
                if (!strings.TryGetValue(value, out var id))
                {
                    strings[value] = id = table.Count;
                    table.Add(value);
                }
                w.Write7BitEncodedInt(id + 1);
            }
            void N(int value) => w.Write7BitEncodedInt(value);
            void Strings(IReadOnlyCollection<string> values)
            {
                N(values.Count);
                foreach (var v in values) S(v);
            }

            S(Version.Url);
            S(Version.Version);
            S(Version.Name);
            S(Version.EffectiveFrom?.ToString("yyyy-MM-dd"));
            S(Version.Language);

            N(Concepts.Length);
            foreach (var c in Concepts)
            {
                S(c.Code);
                S(c.Display);
                S(c.ShortDisplay);
                S(c.ParentCode);
                S(c.Kind);
                w.Write(c.IsBillable);
                Strings(c.Children);
                N(c.Notes.Count);
                foreach (var note in c.Notes)
                {
                    N((int)note.Kind);
                    S(note.Text);
                }
                N(c.Designations.Count);
                foreach (var d in c.Designations)
                {
                    S(d.Value);
                    S(d.Language);
                    S(d.Use);
                }
                N(c.Properties.Count);
                foreach (var (k, v) in c.Properties)
                {
                    S(k);
                    S(v);
                }
                // 0 = none, else 1 + count.
                N(c.SeventhCharacters is null ? 0 : c.SeventhCharacters.Count + 1);
                foreach (var (k, v) in c.SeventhCharacters ?? new Dictionary<char, string>())
                {
                    N(k);
                    S(v);
                }
            }

            N(Version.IndexEntries.Count);
            foreach (var e in Version.IndexEntries)
            {
                Strings(e.Path);
                S(e.Code);
                S(e.Index);
                S(e.Column);
                Strings(e.Modifiers);
                S(e.See);
                S(e.SeeAlso);
                S(e.Manifestation);
                S(e.Use);
            }

            for (var k = 0; k < sortedCodes.Length; k++)
            {
                S(sortedCodes[k]);
                N(sortedCodeIds[k]);
            }

            var wordId = new Dictionary<string, int>(sortedWords.Length, StringComparer.Ordinal);
            N(sortedWords.Length);
            for (var k = 0; k < sortedWords.Length; k++)
            {
                wordId[sortedWords[k]] = k;
                S(sortedWords[k]);
                // Ascending concept ids, stored as gaps.
                var previous = -1;
                N(postings[k].Length);
                foreach (var id in postings[k])
                {
                    N(id - previous);
                    previous = id;
                }
            }
            foreach (var words in displayWords.Concat(otherWords))
            {
                N(words.Length);
                foreach (var word in words) N(wordId[word]);
            }
            w.Write(EndMarker);
        }

        var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write7BitEncodedInt(table.Count);
            foreach (var s in table) w.Write(s);
            body.Position = 0;
            body.CopyTo(payload);
        }

        var blob = new MemoryStream();
        blob.Write(Magic);
        blob.Write(BitConverter.GetBytes(SnapshotFormat));
        blob.Write(BitConverter.GetBytes(checked((int)payload.Length)));
        using (var zlib = new ZLibStream(blob, CompressionLevel.Optimal, leaveOpen: true))
        {
            payload.Position = 0;
            payload.CopyTo(zlib);
        }
        return blob.ToArray();
    }

    /// <summary>
    /// The compiled version a snapshot holds (shared as <see cref="Of"/> would), or null when the blob is
    /// of another format, damaged, or not of <paramref name="url"/> <paramref name="version"/>.
    /// </summary>
    public static CompiledCodeSystem? FromSnapshot(byte[] blob, string url, string version)
    {
        var header = Magic.Length + 8;
        if (blob.Length < header || !blob.AsSpan(0, Magic.Length).SequenceEqual(Magic)
            || BitConverter.ToInt32(blob, Magic.Length) != SnapshotFormat) return null;
        var length = BitConverter.ToInt32(blob, Magic.Length + 4);
        // zlib expands at most about a thousandfold: a larger length is damage, not a reason to allocate.
        if (length < 0 || length > (blob.Length - header) * 1100L) return null;
        try
        {
            var payload = new byte[length];
            using (var zlib = new ZLibStream(new MemoryStream(blob, header, blob.Length - header), CompressionMode.Decompress))
            {
                zlib.ReadExactly(payload);
                // Nothing may follow the payload (and reading to the end makes zlib check its checksum).
                if (zlib.ReadByte() != -1) return null;
            }
            var compiled = Read(new BinaryReader(new MemoryStream(payload), Encoding.UTF8), url, version);
            if (compiled is not null) Shared.AddOrUpdate(compiled.Version, compiled);
            return compiled;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IndexOutOfRangeException or FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    static CompiledCodeSystem? Read(BinaryReader r, string url, string version)
    {
        var table = new string[r.Read7BitEncodedInt()];
        for (var k = 0; k < table.Length; k++) table[k] = r.ReadString();
        string? S() => r.Read7BitEncodedInt() is var id and > 0 ? table[id - 1] : null;
        string T() => S() ?? throw new InvalidDataException("null where a string is required");
        int N() => r.Read7BitEncodedInt();
        // Most lists are empty: those share one empty array instead of allocating their own.
        string[] Strings()
        {
            var count = N();
            if (count == 0) return [];
            var values = new string[count];
            for (var k = 0; k < values.Length; k++) values[k] = T();
            return values;
        }

        var (readUrl, readVersion, name, from, language) = (T(), T(), T(), S(), S());
        if (readUrl != url || readVersion != version) return null;

        var concepts = new Concept[N()];
        var byCode = new Dictionary<string, Concept>(concepts.Length, StringComparer.Ordinal);
        for (var i = 0; i < concepts.Length; i++)
        {
            var c = concepts[i] = new Concept { Code = T(), Display = T(), ShortDisplay = S(), ParentCode = S(), Kind = T(), IsBillable = r.ReadBoolean() };
            for (var k = N(); k > 0; k--) c.Children.Add(T());
            for (var k = N(); k > 0; k--) c.Notes.Add(new ConceptNote((NoteKind)N(), T()));
            for (var k = N(); k > 0; k--) c.Designations.Add(new Designation(T(), S(), S()));
            for (var k = N(); k > 0; k--) c.Properties[T()] = T();
            var sevenths = N();
            if (sevenths > 0)
            {
                var map = new Dictionary<char, string>(sevenths - 1);
                for (var k = 1; k < sevenths; k++) map[checked((char)N())] = T();
                c.SeventhCharacters = map;
            }
            byCode.Add(c.Code, c);
        }

        var entries = new IndexEntry[N()];
        for (var k = 0; k < entries.Length; k++)
        {
            var (path, code, index, column) = (Strings(), T(), T(), S());
            entries[k] = new IndexEntry(path, code, index, column)
            {
                Modifiers = Strings(), See = S(), SeeAlso = S(), Manifestation = S(), Use = S(),
            };
        }

        var sortedCodes = new string[concepts.Length];
        var sortedCodeIds = new int[concepts.Length];
        for (var k = 0; k < sortedCodes.Length; k++)
        {
            sortedCodes[k] = T();
            sortedCodeIds[k] = N();
        }

        var sortedWords = new string[N()];
        var postings = new int[sortedWords.Length][];
        for (var k = 0; k < sortedWords.Length; k++)
        {
            sortedWords[k] = T();
            var ids = postings[k] = new int[N()];
            var previous = -1;
            for (var j = 0; j < ids.Length; j++) ids[j] = previous += N();
        }
        string[][] WordLists()
        {
            var lists = new string[concepts.Length][];
            for (var i = 0; i < lists.Length; i++)
            {
                var count = N();
                var words = lists[i] = count == 0 ? [] : new string[count];
                for (var j = 0; j < words.Length; j++) words[j] = sortedWords[N()];
            }
            return lists;
        }
        var displayWords = WordLists();
        var otherWords = WordLists();
        if (r.ReadInt32() != EndMarker) return null;

        var loaded = new CodeSystemVersion
        {
            Url = url, Version = version, Name = name, EffectiveFrom = from is null ? null : DateOnly.ParseExact(from, "yyyy-MM-dd"), Language = language,
            Concepts = byCode, IndexEntries = entries,
        };
        return new CompiledCodeSystem(loaded, new Parts(concepts, sortedCodes, sortedCodeIds, displayWords, otherWords, sortedWords, postings));
    }
}
