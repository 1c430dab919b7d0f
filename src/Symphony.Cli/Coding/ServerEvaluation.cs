using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Coders.Evaluation;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using FhirTask = Hl7.Fhir.Model.Task;

namespace Symphony.Cli.Coding;

/// <summary>
/// Codes a CodiEsp split through a running server, as an EHR would send it: a Patient, an inpatient Encounter and a
/// DocumentReference (with its language) per document, then the diagnoses read back from the server's Conditions.
/// Only D is scored: procedures are not written as Conditions, and the evidence spans are in Provenance.
/// </summary>
static class ServerEvaluation
{
    const string FhirJson = "application/fhir+json";
    // In ICD-10-CM fiscal year 2021, the release the CLI codes with.
    const string EncounterDate = "2021-03-01";
    static readonly FhirJsonSerializer Serializer = new();
    static readonly FhirJsonDeserializer Deserializer = new();

    public static async Task<List<CodiEspPrediction>> CodeAsync(Uri server, CodiEspSplit corpus, Language language, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        await ServerToken.AuthorizeAsync(http, server);
        // Fresh ids per run: a second run on the same database codes new notes instead of finding old Tasks.
        var run = "ce" + DateTime.UtcNow.ToString("MMddHHmmss");
        var ids = corpus.Texts.Keys.ToDictionary(doc => doc, doc => $"{run}-{doc}");
        foreach (var (doc, text) in corpus.Texts)
            foreach (var resource in Resources(ids[doc], text, language))
                await PutAsync(http, resource);
        Console.WriteLine($"sent {corpus.Texts.Count} notes to {server} (ids {run}-…)");

        var deadline = DateTime.UtcNow + timeout;
        var predictions = new List<CodiEspPrediction>();
        foreach (var doc in corpus.Texts.Keys)
        {
            var task = await WaitForTaskAsync(http, ids[doc], deadline);
            if (task.Status != FhirTask.TaskStatus.Completed)
                Console.WriteLine($"{doc}: Task {task.Status} {task.StatusReason?.Text}");
            var conditions = await SearchAsync<Condition>(http, $"Condition?encounter=Encounter/{ids[doc]}&_count=1000");
            // Ranked as the encounter's Claim lists the diagnoses (the coder's order), for MAP.
            var claim = (await SearchAsync<Claim>(http, $"Claim?encounter=Encounter/{ids[doc]}")).SingleOrDefault();
            var rank = (claim?.Diagnosis ?? []).Select((d, i) => ((d.Diagnosis as CodeableConcept)?.Coding.FirstOrDefault()?.Code, i))
                .Where(r => r.Item1 is not null).GroupBy(r => r.Item1!).ToDictionary(g => g.Key, g => g.First().i);
            var codes = conditions
                .Where(c => c.VerificationStatus?.Coding.FirstOrDefault()?.Code != "entered-in-error")
                .Select(c => c.Code!.Coding[0].Code!)
                .OrderBy(code => rank.GetValueOrDefault(code, int.MaxValue)).ThenBy(code => code, StringComparer.Ordinal)
                .Select(code => CodiEspPrediction.CodiEspCode(CodeSystems.Icd10Cm, code))
                .Distinct().ToList();
            predictions.Add(new CodiEspPrediction(doc, codes, [], []));
        }
        return predictions;
    }

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
