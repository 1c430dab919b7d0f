using System.Data.Common;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Fhir.Server.CodingJobs;

namespace Symphony.Fhir.Server.Review;

/// <summary>One stored version of a language's site lexicon (a site_lexicon row, migration 0015).</summary>
public sealed record SiteLexiconVersion(Language Language, int Version, int EntryCount, string Origin, int Decisions, DateTimeOffset CreatedAt, string CreatedBy)
{
    public const string FromDecisions = "decisions";
    public const string Posted = "posted";
}

/// <summary>The site_lexicon and site_lexicon_build tables, reached through the store's transactions like coding_decision.</summary>
public static class SiteLexiconRows
{
    /// <summary>The newest version number of each language: the cheap question every process asks to stay current.</summary>
    public static async Task<IReadOnlyDictionary<Language, int>> NewestAsync(DbTransaction tx, CancellationToken ct)
    {
        await using var command = CodingRequests.Command(tx, "SELECT language, MAX(version) FROM site_lexicon GROUP BY language");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var newest = new Dictionary<Language, int>();
        while (await reader.ReadAsync(ct))
            if (NoteLanguage.TryParse(reader.GetString(0), out var language)) newest[language] = Convert.ToInt32(reader.GetValue(1));
        return newest;
    }

    /// <summary>Every version of every language, oldest first, without the entries: what <c>symphony lexicon stats</c> and the export's history show.</summary>
    public static async Task<IReadOnlyList<SiteLexiconVersion>> VersionsAsync(DbTransaction tx, CancellationToken ct)
    {
        await using var command = CodingRequests.Command(tx,
            "SELECT language, version, entry_count, origin, decisions, created_at, created_by FROM site_lexicon ORDER BY language, version");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var versions = new List<SiteLexiconVersion>();
        while (await reader.ReadAsync(ct))
            if (NoteLanguage.TryParse(reader.GetString(0), out var language))
                versions.Add(new SiteLexiconVersion(language, Convert.ToInt32(reader.GetValue(1)), Convert.ToInt32(reader.GetValue(2)), reader.GetString(3),
                    Convert.ToInt32(reader.GetValue(4)), DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(5))), reader.GetString(6)));
        return versions;
    }

    /// <summary>One version's entries (the newest when <paramref name="version"/> is null); null when there is none.</summary>
    public static async Task<(SiteLexiconVersion Version, List<SiteLexiconEntry> Entries)?> LoadAsync(DbTransaction tx, Language language, int? version, CancellationToken ct)
    {
        await using var command = CodingRequests.Command(tx,
            "SELECT version, entry_count, origin, decisions, created_at, created_by, entries FROM site_lexicon WHERE language = @language " +
            (version is null ? "ORDER BY version DESC LIMIT 1" : "AND version = @version"),
            version is null ? [("@language", language.ToCode())] : [("@language", language.ToCode()), ("@version", version.Value)]);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var row = new SiteLexiconVersion(language, Convert.ToInt32(reader.GetValue(0)), Convert.ToInt32(reader.GetValue(1)), reader.GetString(2),
            Convert.ToInt32(reader.GetValue(3)), DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(4))), reader.GetString(5));
        return (row, SiteLexicon.Read(new StringReader(reader.GetString(6))));
    }

    /// <summary>Stores the entries as the language's next version and answers its number.</summary>
    public static async Task<int> AddAsync(DbTransaction tx, Language language, IReadOnlyList<SiteLexiconEntry> entries, string origin, int decisions, string createdBy, CancellationToken ct)
    {
        var next = ((await NewestAsync(tx, ct)).GetValueOrDefault(language)) + 1;
        var tsv = new StringWriter { NewLine = "\n" };
        SiteLexicon.Write(tsv, entries);
        await using var command = CodingRequests.Command(tx, """
            INSERT INTO site_lexicon (language, version, entries, entry_count, origin, decisions, created_at, created_by)
            VALUES (@language, @version, @entries, @count, @origin, @decisions, @at, @by)
            """, ("@language", language.ToCode()), ("@version", next), ("@entries", tsv.ToString()), ("@count", entries.Count), ("@origin", origin),
            ("@decisions", decisions), ("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("@by", createdBy));
        await command.ExecuteNonQueryAsync(ct);
        return next;
    }

    /// <summary>What the last build took in (decision count, newest decided_at).</summary>
    public static async Task<(int Count, long DecidedThrough)> BuiltAsync(DbTransaction tx, CancellationToken ct)
    {
        await using var command = CodingRequests.Command(tx, "SELECT decisions, decided_through FROM site_lexicon_build WHERE id = 1");
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (Convert.ToInt32(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1))) : (0, 0);
    }

    /// <summary>Moves the build mark from what this build read to what it took in; false when another process moved it first.</summary>
    public static async Task<bool> MarkBuiltAsync(DbTransaction tx, (int Count, long DecidedThrough) read, (int Count, long DecidedThrough) built, CancellationToken ct)
    {
        await using var command = CodingRequests.Command(tx, """
            UPDATE site_lexicon_build SET decisions = @count, decided_through = @through, built_at = @at
            WHERE id = 1 AND decisions = @readCount AND decided_through = @readThrough
            """, ("@count", built.Count), ("@through", built.DecidedThrough), ("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
            ("@readCount", read.Count), ("@readThrough", read.DecidedThrough));
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
