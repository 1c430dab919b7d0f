using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.CodingJobs;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>What the coding tests do over HTTP against a coding server: FHIR bodies, searches, waiting for a note's Task.</summary>
public sealed class CodingTestClient(HttpClient http, IServiceProvider services)
{
    public CodingTestClient(CodingServerFixture fixture) : this(fixture.Client, fixture.Factory.Services) { }

    const string FhirJson = "application/fhir+json";
    static readonly FhirJsonDeserializer Json = new();

    public HttpClient Http { get; } = http;

    /// <summary>PUTs each resource under its id and asserts it was stored.</summary>
    public async Task PutAsync(params Resource[] resources)
    {
        foreach (var resource in resources)
        {
            var response = await Http.PutAsync($"/{resource.TypeName}/{resource.Id}", Body(resource));
            Assert.True(response.IsSuccessStatusCode, $"{resource.TypeName}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>The note's Task once <paramref name="done"/> holds for it and it is for <paramref name="focusVersion"/> or later.</summary>
    public async Task<FhirTask> WaitForTaskAsync(string documentId, Func<FhirTask.TaskStatus?, bool> done, string focusVersion = "1")
    {
        FhirTask? task = null;
        var requests = services.GetRequiredService<CodingRequests>();
        await WaitAsync(async () =>
        {
            task = (await SearchAsync<FhirTask>($"Task?focus=DocumentReference/{documentId}")).SingleOrDefault();
            return task is not null && done(task.Status) && int.Parse(((FhirString)task.Input[0].Value!).Value!) >= int.Parse(focusVersion);
        }, async () => $"request: {await requests.GetAsync(CodingRequests.IdFor("DocumentReference", documentId), default)}; task: {task?.Status}");
        return task!;
    }

    public static async Task WaitAsync(Func<Task<bool>> condition, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(180); // the first note also waits for the coder to load
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail("timed out waiting for the coding job; " + (describe is null ? "" : await describe()));
            await Task.Delay(100);
        }
    }

    public async Task<T> ReadAsync<T>(string path) where T : Resource => Json.Deserialize<T>(await Http.GetStringAsync(path));

    public async Task<List<T>> SearchAsync<T>(string query) where T : Resource
    {
        var bundle = await ReadAsync<Bundle>("/" + query + "&_count=100");
        return bundle.Entry.Where(e => e.Search?.Mode != Bundle.SearchEntryMode.Include).Select(e => (T)e.Resource!).ToList();
    }

    public static StringContent Body(Resource resource) => new(new FhirJsonSerializer().SerializeToString(resource), Encoding.UTF8, FhirJson);
}
