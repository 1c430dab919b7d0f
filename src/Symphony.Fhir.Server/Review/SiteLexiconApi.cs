using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Review;

/// <summary>
/// GET /$site-lexicon?language=es[&amp;version=N][&amp;_format=tsv|json]: a language's site lexicon (the newest version, or the one named),
/// as the site-lexicon TSV or as JSON with its versions' history. POST /$site-lexicon?language=es (admin): a TSV or JSON lexicon stored
/// as the language's next version, which every process codes with from its next refresh (until decisions are stored: then the
/// lexicon is built from decisions again).
/// </summary>
public static class SiteLexiconApi
{
    public const string Path = "/$site-lexicon";
    public const string TsvMediaType = "text/tab-separated-values";

    /// <summary>_format=tsv is this operation's own; FhirErrors leaves it to it.</summary>
    public static bool OwnsFormat(HttpRequest request) =>
        request.Path.Equals(Path, StringComparison.Ordinal) && string.Equals(request.Query[KnownParameters.Format], "tsv", StringComparison.OrdinalIgnoreCase);

    public static async Task<IResult> GetAsync(HttpRequest http, IResourceStore store, IOptions<CodingLanguageOptions> languages, CancellationToken ct)
    {
        var language = LanguageOf(http, languages.Value.Default);
        int? version = http.Query["version"] is { Count: > 0 } asked
            ? int.TryParse(asked.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw FhirException.BadRequest("'version' takes a positive whole number.")
            : null;
        var format = http.Query[KnownParameters.Format].ToString().ToLowerInvariant() switch
        {
            "" or "json" or "application/json" => "json",
            "tsv" => "tsv",
            var other => throw new FhirException(StatusCodes.Status406NotAcceptable, Outcomes.Error(Hl7.Fhir.Model.OperationOutcome.IssueType.NotSupported,
                $"_format '{other}' is not supported by $site-lexicon; use tsv or json.")),
        };
        (SiteLexiconVersion Version, List<SiteLexiconEntry> Entries)? lexicon = null;
        IReadOnlyList<SiteLexiconVersion> history = [];
        (int Count, long DecidedThrough) decided = default, built = default;
        await store.ReadSqlAsync(async (tx, c) =>
        {
            lexicon = await SiteLexiconRows.LoadAsync(tx, language, version, c);
            history = await SiteLexiconRows.VersionsAsync(tx, c);
            decided = await CodingDecisions.StampAsync(tx, c);
            built = await SiteLexiconRows.BuiltAsync(tx, c);
        }, ct);
        if (lexicon is not { } found)
            throw FhirException.NotFound(version is null
                ? $"There is no site lexicon for language '{language.ToCode()}' yet: it is built from review decisions ($review) or posted by an admin."
                : $"The site lexicon for language '{language.ToCode()}' has no version {version}.");
        if (format == "tsv")
        {
            var tsv = new StringWriter { NewLine = "\n" };
            SiteLexicon.Write(tsv, found.Entries);
            return Results.Text(tsv.ToString(), TsvMediaType + "; charset=utf-8", Encoding.UTF8);
        }
        var json = Summary(found.Version, history.Where(h => h.Language == language));
        json["pending"] = decided != built; // decisions stored since the last build: a newer version is coming
        json["entries"] = new JsonArray(found.Entries.Select(e => (JsonNode)new JsonObject
        {
            ["term"] = e.Term, ["system"] = CodeSystems.ShortName(e.System), ["code"] = e.Code, ["weight"] = e.Weight,
        }).ToArray());
        return Results.Text(json.ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8);
    }

    public static async Task<IResult> PostAsync(HttpRequest http, IResourceStore store, SiteLexicons lexicons, CoderCatalog coders, IOptions<CodingLanguageOptions> languages,
        IOptions<FhirOptions> fhir, CancellationToken ct)
    {
        var language = LanguageOf(http, languages.Value.Default);
        using var buffer = new MemoryStream();
        await FhirSerialization.CopyBodyAsync(http, buffer, fhir.Value.MaxBodyBytes, "Fhir:MaxBodyBytes", ct);
        var body = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
        if (body.Trim().Length == 0) throw FhirException.BadRequest("The body is empty: send the lexicon as TSV (term, system, code, language, weight) or JSON ({\"entries\": [...]}).");
        var entries = http.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true ? ReadJson(body, language) : ReadTsv(body);
        if (entries.Count == 0) throw FhirException.BadRequest("The lexicon has no entries.");
        if (entries.FirstOrDefault(e => e.Language != language) is { } other)
            throw FhirException.BadRequest($"Entry '{other.Term}' is in language '{other.Language.ToCode()}', not '{language.ToCode()}': post one language at a time (?language=).");
        if (entries.FirstOrDefault(e => e.Weight is < 0 or > 1 || double.IsNaN(e.Weight)) is { } weighed)
            throw FhirException.BadRequest($"Entry '{weighed.Term}' has weight {weighed.Weight.ToString(CultureInfo.InvariantCulture)}: weights are between 0 and 1.");
        // The coder would never use an entry whose code its release does not have: refused whole, each such code named.
        var coder = (await coders.ForAsync(DateOnly.FromDateTime(DateTime.UtcNow), ct)).Coder;
        var unknown = entries.Where(e => coder.CodeDisplay(e.System, e.Code) is null).DistinctBy(e => (e.System, e.Code)).ToList();
        if (unknown.Count > 0)
            throw new FhirException(StatusCodes.Status400BadRequest, new Hl7.Fhir.Model.OperationOutcome
            {
                Issue = unknown.Select(e => new Hl7.Fhir.Model.OperationOutcome.IssueComponent
                {
                    Severity = Hl7.Fhir.Model.OperationOutcome.IssueSeverity.Error, Code = Hl7.Fhir.Model.OperationOutcome.IssueType.CodeInvalid,
                    Diagnostics = $"{CodeSystems.ShortName(e.System)} {e.Code} (entry '{e.Term}') is not a code of the {CodeSystems.ShortName(e.System)} release in force: the coder would never give it.",
                }).ToList(),
            });
        var by = Reviewer.Of(http.HttpContext).Id;
        var number = 0;
        await store.WriteAsync([], async (tx, c) => number = await SiteLexiconRows.AddAsync(tx, language, entries, SiteLexiconVersion.Posted, 0, by, c), ct);
        await lexicons.RefreshAsync(ct);
        IReadOnlyList<SiteLexiconVersion> history = [];
        await store.ReadSqlAsync(async (tx, c) => history = await SiteLexiconRows.VersionsAsync(tx, c), ct);
        var stored = history.Single(h => h.Language == language && h.Version == number);
        http.HttpContext.Response.Headers.Location = $"{Path}?language={language.ToCode()}&version={number}";
        return Results.Text(Summary(stored, history.Where(h => h.Language == language)).ToJsonString(), "application/json; charset=utf-8", Encoding.UTF8,
            StatusCodes.Status201Created);
    }

    static JsonObject Summary(SiteLexiconVersion version, IEnumerable<SiteLexiconVersion> history) => new()
    {
        ["language"] = version.Language.ToCode(),
        ["version"] = version.Version,
        ["origin"] = version.Origin,
        ["decisions"] = version.Decisions,
        ["entryCount"] = version.EntryCount,
        ["created"] = version.CreatedAt.ToString("o", CultureInfo.InvariantCulture),
        ["versions"] = new JsonArray(history.Select(h => (JsonNode)new JsonObject
        {
            ["version"] = h.Version, ["origin"] = h.Origin, ["decisions"] = h.Decisions, ["entryCount"] = h.EntryCount,
            ["created"] = h.CreatedAt.ToString("o", CultureInfo.InvariantCulture),
        }).ToArray()),
    };

    static Language LanguageOf(HttpRequest http, Language serverDefault)
    {
        var tag = http.Query["language"].ToString();
        if (tag.Length == 0) return serverDefault;
        return NoteLanguage.TryParse(tag, out var language) ? language
            : throw FhirException.BadRequest($"language '{tag}' is not one the coder reads; supported: {NoteLanguage.SupportedCodes}.");
    }

    static List<SiteLexiconEntry> ReadTsv(string body)
    {
        try { return SiteLexicon.Read(new StringReader(body)); }
        catch (Exception e) when (e is FormatException or ArgumentException) { throw FhirException.BadRequest(e.Message); }
    }

    /// <summary>{"entries": [{"term", "system", "code", "weight"?, "language"?}]}, as GET answers; entries without a language take the request's.</summary>
    static List<SiteLexiconEntry> ReadJson(string body, Language language)
    {
        try
        {
            var entries = JsonNode.Parse(body)?["entries"] as JsonArray ?? throw new FormatException("The JSON lexicon needs an 'entries' array.");
            return entries.Select((node, i) =>
            {
                string Text(string name) => node?[name]?.GetValue<string>() is { Length: > 0 } value ? value : throw new FormatException($"entries[{i}] needs '{name}'.");
                var system = CodeSystems.Parse(Text("system"));
                var entryLanguage = node?["language"] is { } tag ? LanguageCodes.Parse(tag.GetValue<string>()) : language;
                var weight = node?["weight"] is { } w ? w.GetValue<double>() : 1.0;
                return new SiteLexiconEntry(Text("term").Trim(), system, SiteLexicon.NormalizeCode(Text("code"), system), entryLanguage, weight);
            }).ToList();
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw FhirException.BadRequest($"The body is not a site lexicon: {e.Message}");
        }
    }
}
