extern alias server;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Cli.Coding;
using Symphony.Coders.Evaluation;
using Symphony.Coders.Text;
using CodingDecisions = server::Symphony.Fhir.Server.Review.CodingDecisions;
using SiteLexiconRows = server::Symphony.Fhir.Server.Review.SiteLexiconRows;
using Storage = server::Symphony.Fhir.Server.Storage;

namespace Symphony.Cli.Lexicon;

/// <summary>
/// <c>symphony lexicon stats</c> (size per language, version, decisions, growth) and <c>symphony lexicon import</c>: a site's archive of
/// coded charts (CodiEsp-format files, or FHIR NDJSON) sent through a running server's $review, so imported decisions are the same rows a
/// reviewer's are and the server builds its site lexicon from them.
/// </summary>
public static class LexiconCommands
{
    public static Command Create() => new("lexicon", "The server's site lexicon: built from review decisions (docs/review.md).") { Stats(), Import() };

    static Command Stats()
    {
        var serverUrl = new Option<string?>("--server") { Description = "A running server's base URL (reads GET /$site-lexicon; token from SYMPHONY_TOKEN or SYMPHONY_CLIENT_FILE)." };
        var connection = new Option<string?>("--connection") { Description = "Or the server's database: PostgreSQL connection string (Host=...) or SQLite file." };
        var command = new Command("stats", "Size of the site lexicon per language, its version, the decisions it was built from, and its growth over versions.") { serverUrl, connection };
        command.SetAction(async (parse, ct) =>
        {
            var rows = new List<(string Language, int Version, string Origin, int Decisions, int Entries, string Created)>();
            var decisions = -1;
            if (parse.GetValue(connection) is { Length: > 0 } database)
            {
                Storage.IResourceStore store = database.Contains("Host=", StringComparison.OrdinalIgnoreCase)
                    ? new Storage.PostgresResourceStore(Npgsql.NpgsqlDataSource.Create(database))
                    : new Storage.SqliteResourceStore(database);
                await store.ReadSqlAsync(async (tx, c) =>
                {
                    decisions = (await CodingDecisions.StampAsync(tx, c)).Count;
                    foreach (var v in await SiteLexiconRows.VersionsAsync(tx, c))
                        rows.Add((v.Language.ToCode(), v.Version, v.Origin, v.Decisions, v.EntryCount, v.CreatedAt.ToString("u", CultureInfo.InvariantCulture)));
                }, ct);
            }
            else if (parse.GetValue(serverUrl) is { Length: > 0 } url)
            {
                using var http = await ServerEvaluation.ConnectAsync(new Uri(url.TrimEnd('/') + "/"));
                foreach (var language in Enum.GetValues<Language>())
                {
                    using var response = await http.GetAsync($"$site-lexicon?language={language.ToCode()}&_format=json", ct);
                    if (!response.IsSuccessStatusCode) continue;
                    var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
                    foreach (var v in json.GetProperty("versions").EnumerateArray())
                        rows.Add((language.ToCode(), v.GetProperty("version").GetInt32(), v.GetProperty("origin").GetString()!, v.GetProperty("decisions").GetInt32(),
                            v.GetProperty("entryCount").GetInt32(), v.GetProperty("created").GetString()!));
                }
            }
            else
            {
                Console.Error.WriteLine("Name the server (--server <url>) or its database (--connection).");
                return 2;
            }
            if (decisions >= 0) Console.WriteLine($"{decisions} review decisions stored");
            if (rows.Count == 0) Console.WriteLine("no site lexicon yet");
            foreach (var language in rows.GroupBy(r => r.Language))
            {
                var newest = language.Last();
                Console.WriteLine($"{language.Key}: version {newest.Version}, {newest.Entries} phrases ({newest.Origin}, {newest.Decisions} decisions)");
                Console.WriteLine("  version\tcreated\torigin\tdecisions\tphrases");
                foreach (var v in language) Console.WriteLine($"  {v.Version}\t{v.Created}\t{v.Origin}\t{v.Decisions}\t{v.Entries}");
            }
            return 0;
        });
        return command;
    }

    static Command Import()
    {
        var codiesp = new Option<DirectoryInfo?>("--codiesp") { Description = "A CodiEsp-format folder (<split>/text_files/*.txt, <split>/<split>X.tsv)." };
        var splits = new Option<string>("--split") { Description = "With --codiesp: the splits to import (comma separated).", DefaultValueFactory = _ => "train" };
        var fhir = new Option<FileInfo?>("--fhir") { Description = "An NDJSON file of DocumentReferences (with their Patients and Encounters), their coded Conditions and Procedures, and the Provenances whose entities carry the evidence spans (derivation-reference)." };
        var serverUrl = new Option<string>("--server") { Description = "The server's base URL (token from SYMPHONY_TOKEN or SYMPHONY_CLIENT_FILE).", Required = true };
        var language = new Option<string>("--language") { Description = "The notes' language.", DefaultValueFactory = _ => "es" };
        var limit = new Option<int>("--limit") { Description = "Import at most this many notes (in name order).", DefaultValueFactory = _ => int.MaxValue };
        var timeout = new Option<int>("--timeout") { Description = "Minutes to wait for the server to code the notes.", DefaultValueFactory = _ => 60 };
        var command = new Command("import", "Send coded charts through the server's $review: each note is stored, coded, and its codes accepted, rejected or added as the archive says.")
            { codiesp, splits, fhir, serverUrl, language, limit, timeout };
        command.SetAction(async (parse, ct) =>
        {
            var lang = LanguageCodes.Parse(parse.GetValue(language)!);
            using var http = await ServerEvaluation.ConnectAsync(new Uri(parse.GetValue(serverUrl)!.TrimEnd('/') + "/"));
            var deadline = DateTime.UtcNow.AddMinutes(parse.GetValue(timeout));
            List<KeyValuePair<string, string>> notes;
            Dictionary<string, List<GoldMention>> gold;
            if (parse.GetValue(codiesp) is { } dir)
            {
                notes = [];
                var mentions = new List<GoldMention>();
                foreach (var name in parse.GetValue(splits)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var split = CodiEspSplit.Load(dir.FullName, name, Language.Spanish);
                    notes.AddRange(split.Texts.OrderBy(kv => kv.Key, StringComparer.Ordinal));
                    mentions.AddRange(ServerEvaluation.Gold(dir.FullName, name, split.Texts));
                }
                gold = mentions.GroupBy(m => m.Document).ToDictionary(g => g.Key, g => g.ToList());
            }
            else if (parse.GetValue(fhir) is { } file)
                (notes, gold) = FhirArchive.Read(file.FullName);
            else
            {
                Console.Error.WriteLine("Name the archive: --codiesp <dir> or --fhir <file.ndjson>.");
                return 2;
            }
            notes = notes.Take(parse.GetValue(limit)).ToList();
            var (decisions, leftOut) = await ServerReplay.ReviewAsync(http, notes, gold, lang, deadline);
            Console.WriteLine($"imported {notes.Count} notes: {decisions} decisions stored" + (leftOut.Count == 0 ? "" : $"; {leftOut.Count} codes the server's terminology does not hold left out"));
            return 0;
        });
        return command;
    }
}

/// <summary>
/// Reads an NDJSON archive of coded charts: each DocumentReference's text, and as its gold mentions the codes of the Conditions and
/// Procedures whose evidence names it (Condition.evidence.detail, or a Provenance entity on it) that were not entered in error, each
/// with the spans its Provenance's derivation-reference entities carry.
/// </summary>
public static class FhirArchive
{
    const string DerivationReference = "http://hl7.org/fhir/StructureDefinition/derivation-reference";

    public static (List<KeyValuePair<string, string>> Notes, Dictionary<string, List<GoldMention>> Gold) Read(string path)
    {
        var json = new FhirJsonDeserializer();
        var resources = File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l => json.DeserializeResource(l)).ToList();
        var notes = new List<KeyValuePair<string, string>>();
        foreach (var document in resources.OfType<DocumentReference>())
        {
            var attachment = document.Content.FirstOrDefault()?.Attachment;
            if (attachment?.Data is { } data) notes.Add(new(document.Id!, Encoding.UTF8.GetString(data)));
        }
        var gold = new Dictionary<string, List<GoldMention>>();
        foreach (var provenance in resources.OfType<Provenance>())
        {
            var target = provenance.Target.FirstOrDefault()?.Reference ?? "";
            var coded = resources.FirstOrDefault(r => r is Condition or Procedure && $"{r.TypeName}/{r.Id}" == target);
            var coding = coded switch
            {
                Condition c when c.VerificationStatus?.Coding.FirstOrDefault()?.Code is not ("entered-in-error" or "refuted") => c.Code?.Coding.FirstOrDefault(),
                Procedure p when p.Status != EventStatus.EnteredInError => p.Code?.Coding.FirstOrDefault(),
                _ => null,
            };
            if (coding?.System is not { } system || coding.Code is not { } code) continue;
            foreach (var entity in provenance.Entity)
            {
                if (entity.GetExtension(DerivationReference) is not { } derivation) continue;
                var document = (derivation.GetExtensionValue<ResourceReference>("reference")?.Reference ?? entity.What?.Reference ?? "").Split('/');
                if (document is not ["DocumentReference", var id, ..]) continue;
                if (derivation.GetExtensionValue<Integer>("offset")?.Value is not int offset || derivation.GetExtensionValue<Integer>("length")?.Value is not int length) continue;
                if (!gold.TryGetValue(id, out var mentions)) gold[id] = mentions = [];
                mentions.Add(new GoldMention(id, system, code, [(offset, length)]));
            }
        }
        return (notes, gold);
    }
}
