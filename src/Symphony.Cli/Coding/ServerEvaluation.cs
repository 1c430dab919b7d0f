using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Coders.Evaluation;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using FhirTask = Hl7.Fhir.Model.Task;

namespace Symphony.Cli.Coding;

/// <summary>A CodiEsp gold mention: its code and its pieces (UTF-16 offset and length in the note text, in the order the annotation lists them).</summary>
public sealed record GoldMention(string Document, string System, string Code, IReadOnlyList<(int Offset, int Length)> Spans);

/// <summary>
/// A CodiEsp split through a running server, as a site would do it: each document is sent as an EHR sends a note (a Patient, an
/// inpatient Encounter and a DocumentReference with its language), coded by the server, and either read back (Conditions,
/// Procedures and their Provenance spans) or reviewed against the gold annotations through $review (accept the gold codes the
/// server suggested, reject the others, add the missed ones with their gold spans) — the decisions the site lexicon is built from.
/// </summary>
public static class ServerEvaluation
{
    const string FhirJson = "application/fhir+json";
    // In ICD-10-CM fiscal year 2021, the release the in-process evaluation codes with.
    const string EncounterDate = "2021-01-01";
    const string DerivationReference = "http://hl7.org/fhir/StructureDefinition/derivation-reference";
    static readonly FhirJsonSerializer Serializer = new();
    static readonly FhirJsonDeserializer Deserializer = new();

    public static async Task<HttpClient> ConnectAsync(Uri server)
    {
        var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        await ServerToken.AuthorizeAsync(http, server);
        return http;
    }

    /// <summary>Fresh ids per run: a second run on the same database codes new notes instead of finding old Tasks.</summary>
    public static string NewRun(string prefix) => prefix + DateTime.UtcNow.ToString("MMddHHmmssff");

    /// <summary>Sends the documents and waits for each to be coded; answers each document's id on the server.</summary>
    public static async Task<Dictionary<string, string>> SendAsync(HttpClient http, IEnumerable<KeyValuePair<string, string>> texts, Language language, string run, DateTime deadline)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (doc, text) in texts)
        {
            ids[doc] = $"{run}-{doc}";
            foreach (var resource in Resources(ids[doc], text, language))
                await PutAsync(http, resource);
        }
        foreach (var (doc, id) in ids)
        {
            var task = await WaitForTaskAsync(http, id, deadline);
            if (task.Status != FhirTask.TaskStatus.Completed)
                Console.WriteLine($"{doc}: Task {task.Status} {task.StatusReason?.Text}");
        }
        return ids;
    }

    /// <summary>What the server wrote for one note: the codes of its Conditions and Procedures (bar those entered in error) and their evidence spans.</summary>
    public static async Task<CodiEspPrediction> ReadBackAsync(HttpClient http, string doc, string id, string text)
    {
        var conditions = (await SearchAsync<Condition>(http, $"Condition?encounter=Encounter/{id}&_count=1000"))
            .Where(c => c.VerificationStatus?.Coding.FirstOrDefault()?.Code != "entered-in-error").ToList();
        var procedures = (await SearchAsync<Procedure>(http, $"Procedure?encounter=Encounter/{id}&_count=1000"))
            .Where(p => p.Status != EventStatus.EnteredInError).ToList();
        // Ranked as the encounter's Claim lists the diagnoses (the coder's order), for MAP.
        var claim = (await SearchAsync<Claim>(http, $"Claim?encounter=Encounter/{id}")).SingleOrDefault();
        var rank = (claim?.Diagnosis ?? []).Select((d, i) => ((d.Diagnosis as CodeableConcept)?.Coding.FirstOrDefault()?.Code, i))
            .Where(r => r.Item1 is not null).GroupBy(r => r.Item1!).ToDictionary(g => g.Key, g => g.First().i);
        var diagnoses = conditions
            .Select(c => c.Code!.Coding[0].Code!)
            .OrderBy(code => rank.GetValueOrDefault(code, int.MaxValue)).ThenBy(code => code, StringComparer.Ordinal)
            .Select(code => CodiEspPrediction.CodiEspCode(CodeSystems.Icd10Cm, code))
            .Distinct().ToList();
        var mentions = new List<CodiEspMention>();
        var coded = conditions.Select(c => (Reference: $"Condition/{c.Id}", Coding: c.Code!.Coding[0]))
            .Concat(procedures.Select(p => (Reference: $"Procedure/{p.Id}", Coding: p.Code!.Coding[0]))).ToList();
        // One search for the evidence of every code of the note.
        var provenances = coded.Count == 0 ? [] : await SearchAsync<Provenance>(http, $"Provenance?target={string.Join(',', coded.Select(c => c.Reference))}&_count=1000");
        foreach (var provenance in provenances)
        {
            if (coded.FirstOrDefault(c => provenance.Target.Any(t => t.Reference == c.Reference)) is not { Coding: { } coding }) continue;
            var isProcedure = coding.System == CodeSystems.Icd10Pcs;
            var code = isProcedure ? coding.Code!.ToLowerInvariant() : CodiEspPrediction.CodiEspCode(CodeSystems.Icd10Cm, coding.Code!);
                foreach (var entity in provenance.Entity)
                    if (entity.GetExtension(DerivationReference) is { } derivation
                        && derivation.GetExtensionValue<Integer>("offset")?.Value is int start && derivation.GetExtensionValue<Integer>("length")?.Value is int length
                        && start >= 0 && start + length <= text.Length)
                        mentions.Add(new CodiEspMention(doc, code, isProcedure, text.Substring(start, length),
                            CodiEspPrediction.CodePointOffset(text, start), CodiEspPrediction.CodePointOffset(text, start + length)));
        }
        return new CodiEspPrediction(doc, diagnoses, procedures.Select(p => p.Code!.Coding[0].Code!.ToLowerInvariant()).Distinct().ToList(), mentions.Distinct().ToList());
    }

    /// <summary>
    /// Reviews one coded note against its gold mentions through $review: each gold mention accepted (when suggested) or added, with its
    /// gold spans; every other suggested code rejected. A decision the server refuses (a code not in its terminology) is left out and the
    /// rest sent again. Answers the decisions stored and those left out.
    /// </summary>
    public static async Task<(int Stored, List<string> LeftOut)> ReviewAsync(HttpClient http, string id, IReadOnlyList<GoldMention> gold)
    {
        var suggested = new HashSet<(string System, string Code)>();
        foreach (var c in await SearchAsync<Condition>(http, $"Condition?encounter=Encounter/{id}&_count=1000"))
            suggested.Add((c.Code!.Coding[0].System!, c.Code.Coding[0].Code!));
        foreach (var p in await SearchAsync<Procedure>(http, $"Procedure?encounter=Encounter/{id}&_count=1000"))
            suggested.Add((p.Code!.Coding[0].System!, p.Code.Coding[0].Code!));
        var decisions = new List<Parameters.ParameterComponent>();
        foreach (var mention in gold)
            decisions.Add(Decision(mention.System, mention.Code, suggested.Contains((mention.System, mention.Code)) ? "accept" : "add", mention.Spans));
        var goldCodes = gold.Select(g => (g.System, g.Code)).ToHashSet();
        foreach (var (system, code) in suggested.Where(s => !goldCodes.Contains(s)).Order())
            decisions.Add(Decision(system, code, "reject", []));
        var leftOut = new List<string>();
        while (decisions.Count > 0)
        {
            var body = new Parameters { Parameter = decisions };
            using var content = new StringContent(Serializer.SerializeToString(body), Encoding.UTF8, FhirJson);
            using var response = await http.PostAsync($"DocumentReference/{id}/$review", content);
            var answer = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode) return (decisions.Count, leftOut);
            if (response.StatusCode != HttpStatusCode.UnprocessableEntity)
                throw new InvalidOperationException($"$review of DocumentReference/{id}: {(int)response.StatusCode} {answer}");
            var refused = Deserializer.Deserialize<OperationOutcome>(answer).Issue
                .Select(i => i.Diagnostics ?? "").Where(d => d.StartsWith("decision ", StringComparison.Ordinal))
                .Select(d => int.Parse(d["decision ".Length..d.IndexOf(':')], System.Globalization.CultureInfo.InvariantCulture) - 1).ToHashSet();
            if (refused.Count == 0) throw new InvalidOperationException($"$review of DocumentReference/{id}: {answer}");
            foreach (var i in refused)
            {
                // CodiEsp writes ICD-10-CM codes without their 7th character (W19.XXXA as w19.xxx): a site's coder records the
                // whole code, the initial encounter's. Tried once; a code still refused is left out.
                var coding = (Hl7.Fhir.Model.Coding)decisions[i].Part.First(p => p.Name == "code").Value!;
                if (coding.System == CodeSystems.Icd10Cm && coding.Code!.Replace(".", "").Length == 6)
                    coding.Code += "A";
                else
                {
                    leftOut.Add(coding.Code!);
                    decisions[i] = null!;
                }
            }
            decisions = decisions.Where(d => d is not null).ToList();
        }
        return (0, leftOut);
    }

    static Parameters.ParameterComponent Decision(string system, string code, string action, IReadOnlyList<(int Offset, int Length)> spans)
    {
        var decision = new Parameters.ParameterComponent { Name = "decision" };
        decision.Part.Add(new() { Name = "code", Value = new Hl7.Fhir.Model.Coding(system, code) });
        decision.Part.Add(new() { Name = "action", Value = new Code(action) });
        foreach (var (offset, length) in spans)
            decision.Part.Add(new() { Name = "span", Part = [new() { Name = "offset", Value = new Integer(offset) }, new() { Name = "length", Value = new Integer(length) }] });
        return decision;
    }

    /// <summary>A split's gold X mentions with every piece of a discontinuous one, codes as the code systems write them.</summary>
    public static List<GoldMention> Gold(string dataDir, string split, IReadOnlyDictionary<string, string> texts)
    {
        var path = Path.Combine(dataDir, split, $"{split}X.tsv");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found: a review needs the split's X annotations.");
        var mentions = new List<GoldMention>();
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            if (f.Length < 5 || !texts.TryGetValue(f[0], out var text)) continue;
            var system = f[1] == "PROCEDIMIENTO" ? CodeSystems.Icd10Pcs : CodeSystems.Icd10Cm;
            var spans = f[4].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(piece =>
            {
                var bounds = piece.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
                var start = CodiEspPrediction.Utf16Offset(text, bounds[0]);
                return (start, CodiEspPrediction.Utf16Offset(text, bounds[1]) - start);
            }).Where(s => s.Item2 > 0).ToList();
            if (spans.Count > 0) mentions.Add(new GoldMention(f[0], system, SiteLexicon.NormalizeCode(f[2], system), spans));
        }
        return mentions;
    }

    /// <summary>Waits until the server's site lexicon for the language has taken in every stored decision; answers its version.</summary>
    public static async Task<(int Version, int EntryCount, int Decisions)> WaitForLexiconAsync(HttpClient http, Language language, DateTime deadline)
    {
        while (true)
        {
            using var response = await http.GetAsync($"$site-lexicon?language={language.ToCode()}&_format=json");
            if (response.IsSuccessStatusCode)
            {
                var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                if (!json.GetProperty("pending").GetBoolean())
                    return (json.GetProperty("version").GetInt32(), json.GetProperty("entryCount").GetInt32(), json.GetProperty("decisions").GetInt32());
            }
            else if (response.StatusCode != HttpStatusCode.NotFound)
                throw new InvalidOperationException($"GET $site-lexicon: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The server did not build its site lexicon in time.");
            await System.Threading.Tasks.Task.Delay(500);
        }
    }

    /// <summary>The site lexicon version the note's Task says it was coded with, or null.</summary>
    public static async Task<string?> LexiconOfAsync(HttpClient http, string id) =>
        (await SearchAsync<FhirTask>(http, $"Task?focus=DocumentReference/{id}")).SingleOrDefault()?.Output
            .FirstOrDefault(o => o.Type?.Text == "site lexicon")?.Value?.ToString();

    static IEnumerable<Resource> Resources(string id, string text, Language language)
    {
        yield return new Patient { Id = id };
        yield return new Encounter
        {
            Id = id,
            Status = Encounter.EncounterStatus.Finished,
            Class = new Hl7.Fhir.Model.Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP", "inpatient encounter"),
            Subject = new ResourceReference($"Patient/{id}"),
            Period = new Period { Start = EncounterDate, End = EncounterDate },
        };
        yield return new DocumentReference
        {
            Id = id,
            Language = language.ToCode(),
            Status = DocumentReferenceStatus.Current,
            Subject = new ResourceReference($"Patient/{id}"),
            Context = new DocumentReference.ContextComponent { Encounter = [new ResourceReference($"Encounter/{id}")] },
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain; charset=utf-8", Data = Encoding.UTF8.GetBytes(text) } }],
        };
    }

    static async System.Threading.Tasks.Task PutAsync(HttpClient http, Resource resource)
    {
        using var body = new StringContent(Serializer.SerializeToString(resource), Encoding.UTF8, FhirJson);
        using var response = await http.PutAsync($"{resource.TypeName}/{resource.Id}", body);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"PUT {resource.TypeName}/{resource.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    static async Task<FhirTask> WaitForTaskAsync(HttpClient http, string documentId, DateTime deadline)
    {
        while (true)
        {
            var task = (await SearchAsync<FhirTask>(http, $"Task?focus=DocumentReference/{documentId}")).SingleOrDefault();
            if (task?.Status is FhirTask.TaskStatus.Completed or FhirTask.TaskStatus.Failed) return task;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"DocumentReference/{documentId} was not coded in time (Task {task?.Status}).");
            await System.Threading.Tasks.Task.Delay(200);
        }
    }

    static async Task<List<T>> SearchAsync<T>(HttpClient http, string query) where T : Resource
    {
        var bundle = Deserializer.Deserialize<Bundle>(await http.GetStringAsync(query));
        return bundle.Entry.Select(e => e.Resource).OfType<T>().ToList();
    }
}
