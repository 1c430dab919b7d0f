using System.CommandLine;
using System.Diagnostics;
using Symphony.Coders;
using Symphony.Coders.Evaluation;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;

namespace Symphony.Cli.Coding;

/// <summary>
/// <c>symphony eval codiesp --data &lt;dir&gt; --split dev --language en|es [--adapt-from train[,…]] --out &lt;dir&gt;</c>:
/// codes every document of a CodiEsp split, writes D.tsv/P.tsv/X.tsv and basis.tsv and, when gold is present, prints the scores.
/// </summary>
public static class EvalCodiEspCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "CodiEsp folder (<split>/text_files, <split>/text_files_en, <split>/<split>{D,P,X}.tsv).", Required = true };
        var split = new Option<string>("--split") { Description = "Split to code and score (e.g. dev).", Required = true };
        var language = new Option<string>("--language") { Description = "en reads text_files_en, es reads text_files.", DefaultValueFactory = _ => "en" };
        language.AcceptOnlyFromAmong("en", "es");
        var adaptFrom = new Option<string?>("--adapt-from") { Description = "Build a site lexicon from these splits' X annotations (comma separated)." };
        var adaptNotes = new Option<int?>("--adapt-notes") { Description = "With --adapt-from: build the site lexicon from only the first N notes of those splits (in name order), as a site that has reviewed N notes." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder for D.tsv, P.tsv, X.tsv and basis.tsv (each code's confidence and what it is made of).", Required = true };
        var guidelines = new Option<bool>("--apply-guidelines") { Description = "Code only affirmed mentions and apply combination codes and Excludes1, as for real coding. By default the CodiEsp convention is followed: every mention is coded as written, negated and historical ones included." };
        var minWeight = new Option<double>("--min-lexicon-weight") { Description = "Leave out site phrases that carried their code in fewer than this share of the documents where they occur.", DefaultValueFactory = _ => SiteLexiconBuilder.DefaultMinWeight };
        var disable = new Option<string?>("--disable") { Description = "Switch components off to measure them: descriptions,inclusion,notes,index,procedures,synonyms,translations." };
        var folds = new Option<int>("--folds") { Description = "Cross-validate on the split itself (Spanish): documents are dealt into this many folds in name order; each fold is coded with a site lexicon built from the other folds' X annotations; scores are pooled.", DefaultValueFactory = _ => 0 };
        var widen = new Option<int>("--widen-references") { Description = "Analysis only: X references take in whole neighbouring words within this many characters on each side, to see how much of the X score depends on the measure's 10-character slack. The default 0 writes the coder's evidence spans as they are, which is what the X figures report." };
        var server = new Option<string?>("--server") { Description = "Code through a running server at this base URL instead (PUTs a Patient, an inpatient Encounter and a DocumentReference with the language per document, waits for the Tasks, reads the Conditions, Procedures and their Provenance spans back) and score D, P and X. With --adapt-from, first sends those splits' notes and reviews each against its gold annotations through $review, then waits for the server's site lexicon. The server codes as for real (the guidelines); --disable and the CodiEsp convention do not apply." };
        var reviewSteps = new Option<string?>("--review-steps") { Description = "With --server and --adapt-from: score the split after reviewing each of these numbers of notes (e.g. 0,25,50,100,250,500; in name order), for a learning curve. Default: all of them, once." };
        var serverTimeout = new Option<int>("--server-timeout") { Description = "Minutes to wait for the server to code the split.", DefaultValueFactory = _ => 30 };
        var writeLexicon = new Option<FileInfo?>("--write-lexicon") { Description = "Also write the site lexicon built by --adapt-from to this TSV." };
        var terminology = new Option<FileInfo?>("--terminology") { Description = "Code against a FHIR CodeSystem (.json/.xml) or package (.tgz) instead of the shipped ICD-10-CM/PCS, read as any code system: displays, designations and hierarchy only (e.g. one written by `terminology export-fhir`). Its codes are scored as the diagnoses." };
        var system = new Option<string?>("--system") { Description = "With --terminology: the CodeSystem url to code against (needed when the file holds several)." };
        var command = new Command("codiesp", "Code a CodiEsp split, write CodiEsp-format predictions and print P/R/F1/MAP.")
            { data, split, language, adaptFrom, adaptNotes, output, guidelines, minWeight, disable, writeLexicon, widen, folds, server, serverTimeout, reviewSteps, terminology, system };
        command.SetAction(parse =>
        {
            var lang = LanguageCodes.Parse(parse.GetValue(language)!);
            var dataDir = parse.GetValue(data)!.FullName;
            var splitName = parse.GetValue(split)!;
            var disabled = (parse.GetValue(disable) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var clock = Stopwatch.StartNew();
            var corpus = CodiEspSplit.Load(dataDir, splitName, lang);
            if (parse.GetValue(server) is { Length: > 0 } serverUrl)
            {
                var splits = (parse.GetValue(adaptFrom) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var steps = (parse.GetValue(reviewSteps) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList();
                var coded = ServerReplay.RunAsync(new Uri(serverUrl.TrimEnd('/') + "/"), dataDir, corpus, lang, splits, steps,
                    TimeSpan.FromMinutes(parse.GetValue(serverTimeout)), Print).GetAwaiter().GetResult();
                Console.WriteLine($"done through {serverUrl} in {clock.Elapsed.TotalSeconds:0.0} s");
                CodiEspWriter.Write(parse.GetValue(output)!.FullName, coded);
                return 0;
            }

            var diagnosisSystem = CodeSystems.Icd10Cm;
            Coder coder;
            if (parse.GetValue(terminology) is { } file)
            {
                if (parse.GetValue(adaptFrom) is { Length: > 0 } || parse.GetValue(folds) > 1)
                    throw new InvalidOperationException("--terminology codes zero-shot: a site lexicon (--adapt-from, --folds) names ICD-10-CM codes.");
                var generic = PickSystem(FhirTerminologyLoader.LoadFile(file.FullName), parse.GetValue(system));
                diagnosisSystem = generic.Url;
                coder = new Coder([generic], null, Sources(disabled));
                Console.WriteLine($"coding against {generic.Url} {generic.Version} ({generic.Concepts.Count:N0} concepts) as any code system");
            }
            else if (parse.GetValue(system) is not null) throw new InvalidOperationException("--system needs --terminology <file>.");
            else coder = CoderFactory.Create(null, Sources(disabled));
            if (parse.GetValue(adaptFrom) is { Length: > 0 } adapt)
            {
                if (parse.GetValue(adaptNotes) is < 0) throw new ArgumentException("--adapt-notes must be 0 or more.");
                var site = BuildSiteLexicon(dataDir, adapt.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), parse.GetValue(adaptNotes), parse.GetValue(minWeight), coder);
                coder = coder.WithSiteLexicon(site);
                Console.WriteLine($"site lexicon: {site.Count:N0} phrases from {adapt} X annotations" + (parse.GetValue(adaptNotes) is { } notes ? $" of the first {notes} notes" : ""));
                if (parse.GetValue(writeLexicon) is { } lexiconFile)
                {
                    using var writer = new StreamWriter(lexiconFile.FullName);
                    SiteLexicon.Write(writer, site);
                }
            }
            coder.Warm(lang);
            Console.WriteLine($"loaded {corpus.Texts.Count} documents and the terminology in {clock.Elapsed.TotalSeconds:0.0} s");

            var real = parse.GetValue(guidelines);
            var options = new CodingOptions
            {
                Language = lang,
                Setting = CareSetting.Inpatient,
                CodeEveryMention = !real,
                ApplyCombinations = real,
                ResolveExcludes1 = real,
            };
            clock.Restart();
            IEnumerable<CodiEspPrediction> Predict(Coder by, IEnumerable<KeyValuePair<string, string>> texts) => texts.AsParallel().AsOrdered()
                .Select(kv => CodiEspPrediction.From(kv.Key, kv.Value, by.Code(kv.Value, options), parse.GetValue(widen), diagnosisSystem));
            List<CodiEspPrediction> predictions;
            if (parse.GetValue(folds) is var n and > 1)
            {
                if (lang != Language.Spanish || corpus.GoldX is null) throw new InvalidOperationException("--folds needs --language es and the split's X annotations.");
                var documents = corpus.Texts.Keys.ToList();
                predictions = [];
                for (var fold = 0; fold < n; fold++)
                {
                    var held = documents.Where((_, i) => i % n == fold).ToHashSet(StringComparer.Ordinal);
                    var site = SiteLexiconBuilder.Build(
                        corpus.GoldX.Where(m => !held.Contains(m.Document)).Select(m => Accepted(m, coder)),
                        corpus.Texts.Where(kv => !held.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value),
                        Language.Spanish, parse.GetValue(minWeight), coder.GenericTerms(Language.Spanish), coder.NamesSide);
                    predictions.AddRange(Predict(coder.WithSiteLexicon(site), corpus.Texts.Where(kv => held.Contains(kv.Key))));
                }
                Console.WriteLine($"{n}-fold cross-validation on {splitName}");
            }
            else
                predictions = Predict(coder, corpus.Texts).ToList();
            Console.WriteLine($"coded {predictions.Count} documents in {clock.Elapsed.TotalSeconds:0.00} s");
            var outDir = parse.GetValue(output)!.FullName;
            CodiEspWriter.Write(outDir, predictions);
            Console.WriteLine($"wrote {Path.Combine(outDir, "D.tsv")}, P.tsv, X.tsv, basis.tsv");

            Print(corpus, predictions, lang);
            return 0;
        });
        return command;
    }

    /// <summary>The scores of the predictions against the split's gold, where it has them.</summary>
    static void Print(CodiEspSplit corpus, IReadOnlyList<CodiEspPrediction> predictions, Language lang)
    {
        if (corpus.GoldD is { } goldD)
            Console.WriteLine($"D  {CodiEspScorer.ScoreCodes(predictions.ToDictionary(p => p.Document, p => p.Diagnoses), goldD)}");
        if (corpus.GoldP is { } goldP)
            Console.WriteLine($"P  {CodiEspScorer.ScoreCodes(predictions.ToDictionary(p => p.Document, p => p.Procedures), goldP)}");
        if (corpus.GoldX is { } goldX)
        {
            var x = CodiEspScorer.ScoreMentions(predictions.SelectMany(p => p.Mentions), goldX);
            Console.WriteLine($"X  {x}" + (lang == Language.English ? "   (gold X offsets index the Spanish texts; not meaningful for en)" : ""));
        }
    }

    static CodeSystemVersion PickSystem(TerminologyBundle bundle, string? url)
    {
        if (url is null)
            return bundle.CodeSystems.Count == 1 ? bundle.CodeSystems[0]
                : throw new InvalidOperationException($"{bundle.Source} holds {bundle.CodeSystems.Count} CodeSystems: name one with --system.");
        return bundle.CodeSystems.FirstOrDefault(c => c.Url == url)
            ?? throw new InvalidOperationException($"{bundle.Source} has no CodeSystem {url} (it has {string.Join(", ", bundle.CodeSystems.Select(c => c.Url))}).");
    }

    static TermSources Sources(HashSet<string> disabled)
    {
        var sources = TermSources.Default;
        if (disabled.Contains("descriptions")) sources &= ~TermSources.Descriptions;
        if (disabled.Contains("inclusion")) sources &= ~TermSources.InclusionTerms;
        if (disabled.Contains("notes")) sources &= ~TermSources.NoteTerms;
        if (disabled.Contains("index")) sources &= ~TermSources.IndexTables;
        if (disabled.Contains("procedures")) sources &= ~TermSources.Procedures;
        if (disabled.Contains("synonyms")) sources |= TermSources.NoSynonyms;
        if (disabled.Contains("translations")) sources &= ~TermSources.SpanishTranslations;
        return sources;
    }

    static AcceptedAnnotation Accepted(CodiEspMention m, Coder coder)
    {
        var system = m.IsProcedure ? CodeSystems.Icd10Pcs : CodeSystems.Icd10Cm;
        var code = SiteLexicon.NormalizeCode(m.Code, system);
        // CodiEsp writes ICD-10-CM codes without their 7th character (W19.XXXA as w19.xxx): a site's coder records the
        // whole code, the initial encounter's, as the server replay's review does.
        if (system == CodeSystems.Icd10Cm && code.Replace(".", "").Length == 6 && coder.CodeDisplay(system, code) is null && coder.CodeDisplay(system, code + "A") is not null)
            code += "A";
        return new AcceptedAnnotation(m.Document, m.Reference, system, code);
    }

    /// <summary>The accepted codes of the given splits (of their first <paramref name="notes"/> notes in name order, when given), with their quoted Spanish phrases, through the site-lexicon builder.</summary>
    static List<SiteLexiconEntry> BuildSiteLexicon(string dataDir, string[] splits, int? notes, double minWeight, Coder coder)
    {
        var annotations = new List<AcceptedAnnotation>();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var gold = new List<CodiEspMention>();
        foreach (var name in splits)
        {
            var s = CodiEspSplit.Load(dataDir, name, Language.Spanish);
            if (s.GoldX is null) throw new FileNotFoundException($"{name}X.tsv not found: --adapt-from needs X annotations.");
            foreach (var (doc, text) in s.Texts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (notes is { } n && texts.Count >= n) break;
                texts[doc] = text;
            }
            gold.AddRange(s.GoldX);
        }
        annotations.AddRange(gold.Where(m => texts.ContainsKey(m.Document)).Select(m => Accepted(m, coder)));
        return SiteLexiconBuilder.Build(annotations, texts, Language.Spanish, minWeight, coder.GenericTerms(Language.Spanish), coder.NamesSide);
    }
}
