using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Tests.Infrastructure;
using FhirTask = Hl7.Fhir.Model.Task;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>
/// An EHR sends a note and its Encounter in either order: a note that comes first waits (Task on-hold) and is coded when
/// its Encounter is stored, with no further call. The same tests on each backend.
/// </summary>
public abstract class WaitingForEncounterTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : CodingServerFixture
{
    static readonly FhirJsonDeserializer Json = new();
    readonly CodingTestClient _coding = new(fixture);

    CodingRequests Requests => fixture.Factory.Services.GetRequiredService<CodingRequests>();

    IResourceStore Store => fixture.Factory.Services.GetRequiredService<IResourceStore>();

    [BackendFact]
    public async Task GivenANoteWhoseEncounterIsNotStored_WhenTheEncounterIsPut_ThenItsTaskWaitsOnHoldAndThenCompletesWithConditions()
    {
        var note = Note("note-first");
        var before = await Requests.CountByStatusAsync(default);
        await _coding.PutAsync(note.Patient, note.Document);

        var waiting = await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.OnHold);
        Assert.Equal($"waiting for Encounter/{note.Encounter.Id}", waiting.BusinessStatus!.Text);
        Assert.Equal("waiting-for-encounter", Assert.Single(waiting.BusinessStatus.Coding).Code);
        Assert.Contains($"Encounter/{note.Encounter.Id}", waiting.StatusReason!.Text);
        Assert.Empty(waiting.Output);
        Assert.Empty(ProfileValidator.Errors(waiting));
        var request = (await Requests.GetAsync(waiting.Id!, default))!;
        Assert.Equal((CodingRequestStatus.Waiting, note.Encounter.Id), (request.Status, request.WaitingFor));
        var counts = await Requests.CountByStatusAsync(default);
        Assert.Equal(before.GetValueOrDefault(CodingRequestStatus.Waiting) + 1, counts[CodingRequestStatus.Waiting]);
        Assert.Equal(before.GetValueOrDefault(CodingRequestStatus.Failed), counts.GetValueOrDefault(CodingRequestStatus.Failed));
        await Task.Delay(TimeSpan.FromSeconds(1)); // five sweeps: nothing claims a waiting request
        Assert.Equal(request, await Requests.GetAsync(waiting.Id!, default));

        await _coding.PutAsync(note.Encounter);

        var task = await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Completed);
        Assert.Null(task.BusinessStatus);
        Assert.Null(task.StatusReason);
        var conditions = await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}");
        Assert.Contains(conditions, c => c.Code!.Coding[0].Code == "I10");
        Assert.Single(await _coding.SearchAsync<Claim>($"Claim?encounter=Encounter/{note.Encounter.Id}"));
        Assert.Equal([FhirTask.TaskStatus.Completed, FhirTask.TaskStatus.OnHold], await TaskStatusesAsync(task.Id!));
    }

    [BackendFact]
    public async Task GivenAStoredEncounter_WhenItsNoteIsPut_ThenItsTaskCompletesWithoutWaiting()
    {
        var note = Note("encounter-first");
        await _coding.PutAsync(note.Patient, note.Encounter, note.Document);

        var task = await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Completed);

        Assert.NotEmpty(await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}"));
        Assert.Equal([FhirTask.TaskStatus.Completed], await TaskStatusesAsync(task.Id!));
    }

    [BackendFact]
    public async Task GivenATransactionBundleWithTheNoteBeforeItsEncounter_WhenPosted_ThenTheNoteIsCodedWithoutWaiting()
    {
        var note = Note("bundle-note", encounterReference: "urn:uuid:3f0c7c4e-8a53-4f43-a0e4-1d7f3c1c2b11");
        await _coding.PutAsync(note.Patient);
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = "urn:uuid:9d2f3f1e-5b7a-4f0e-8a7e-2a4b6c8d0e12", Resource = note.Document, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "DocumentReference" } },
                new() { FullUrl = note.Document.Context!.Encounter[0].Reference, Resource = note.Encounter, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Encounter" } },
            ],
        };

        var response = await _coding.Http.PostAsync("/", CodingTestClient.Body(bundle));

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var ids = Json.Deserialize<Bundle>(await response.Content.ReadAsStringAsync())
            .Entry.Select(e => e.Response!.Location!.Split('/')[1]).ToList();
        var task = await _coding.WaitForTaskAsync(ids[0], status => status is FhirTask.TaskStatus.Completed);
        Assert.NotEmpty(await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/{ids[1]}"));
        Assert.Equal([FhirTask.TaskStatus.Completed], await TaskStatusesAsync(task.Id!));
    }

    [BackendFact]
    public async Task GivenAWaitingNote_WhenANewVersionArrivesBeforeItsEncounter_ThenTheNewVersionWaitsAndIsTheOneCoded()
    {
        var note = Note("revised-while-waiting");
        await _coding.PutAsync(note.Patient, note.Document);
        await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.OnHold);

        var revised = (DocumentReference)note.Document.DeepCopy();
        revised.Meta = null;
        revised.Content[0].Attachment.Data = Encoding.UTF8.GetBytes(note.NoteText.Replace("hypertension", "complaints"));
        await _coding.PutAsync(revised);
        var waiting = await _coding.WaitForTaskAsync(revised.Id!, status => status is FhirTask.TaskStatus.OnHold, focusVersion: "2");
        Assert.Equal($"waiting for Encounter/{note.Encounter.Id}", waiting.BusinessStatus!.Text);

        await _coding.PutAsync(note.Encounter);

        await _coding.WaitForTaskAsync(revised.Id!, status => status is FhirTask.TaskStatus.Completed, focusVersion: "2");
        var claim = Assert.Single(await _coding.SearchAsync<Claim>($"Claim?encounter=Encounter/{note.Encounter.Id}"));
        Assert.DoesNotContain(claim.Diagnosis, d => ((CodeableConcept)d.Diagnosis).Coding[0].Code == "I10");
        var sources = Assert.Single(await _coding.SearchAsync<Provenance>($"Provenance?target=Claim/{claim.Id}")).Entity.Select(e => e.What.Reference).Distinct();
        Assert.Equal([$"DocumentReference/{revised.Id!}/_history/2"], sources);
    }

    [BackendFact]
    public async Task GivenANoteNamingItsEncounterByAbsoluteUrl_WhenTheEncounterArrivesLater_ThenTheNoteWaitsForItAndIsCoded()
    {
        var note = Note("absolute-reference");
        note.Document.Context!.Encounter[0].Reference = new Uri(_coding.Http.BaseAddress!, $"Encounter/{note.Encounter.Id}").ToString();
        await _coding.PutAsync(note.Patient, note.Document);

        var waiting = await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.OnHold);
        Assert.Equal($"waiting for Encounter/{note.Encounter.Id}", waiting.BusinessStatus!.Text);
        await _coding.PutAsync(note.Encounter);

        await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Completed);
        Assert.NotEmpty(await _coding.SearchAsync<Condition>($"Condition?encounter=Encounter/{note.Encounter.Id}"));
    }

    [BackendFact]
    public async Task GivenACodedNoteWhoseEncounterWasDeleted_WhenANewVersionArrives_ThenItWaitsUntilTheEncounterIsStoredAgain()
    {
        var note = Note("encounter-deleted");
        await _coding.PutAsync(note.Patient, note.Encounter, note.Document);
        await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Completed);
        Assert.True((await _coding.Http.DeleteAsync($"/Encounter/{note.Encounter.Id}")).IsSuccessStatusCode);

        var revised = (DocumentReference)note.Document.DeepCopy();
        revised.Meta = null;
        revised.Description = "Revised after the encounter was deleted";
        await _coding.PutAsync(revised);
        var waiting = await _coding.WaitForTaskAsync(revised.Id!, status => status is FhirTask.TaskStatus.OnHold, focusVersion: "2");
        Assert.Equal($"waiting for Encounter/{note.Encounter.Id}", waiting.BusinessStatus!.Text);

        await _coding.PutAsync(note.Encounter);

        await _coding.WaitForTaskAsync(revised.Id!, status => status is FhirTask.TaskStatus.Completed, focusVersion: "2");
    }

    [BackendFact]
    public async Task GivenANoteNamingNoEncounter_WhenIntaken_ThenItsTaskFailsSayingTheEncounterIsMissing()
    {
        var note = Note("no-encounter");
        note.Document.Context!.Encounter.Clear();
        await _coding.PutAsync(note.Patient, note.Document);

        var task = await _coding.WaitForTaskAsync(note.Document.Id!, status => status is FhirTask.TaskStatus.Failed);

        Assert.Contains("context.encounter is missing", task.StatusReason!.Text);
        Assert.Equal(CodingRequestStatus.Failed, (await Requests.GetAsync(task.Id!, default))!.Status);
    }

    [BackendFact]
    public async Task GivenANoteWaitingForItsEncounter_WhenCodeIsCalledSynchronously_ThenA202SaysWhatIsMissingAndTheStatusUrlAnswersOnceTheEncounterArrives()
    {
        var note = Note("code-while-waiting");
        await _coding.PutAsync(note.Patient, note.Document);

        var response = await _coding.Http.PostAsync($"/DocumentReference/{note.Document.Id!}/$code", CodingTestClient.Body(new Parameters()));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var issue = Assert.Single(Json.Deserialize<OperationOutcome>(await response.Content.ReadAsStringAsync()).Issue);
        Assert.Equal(OperationOutcome.IssueType.NotFound, issue.Code);
        Assert.Contains($"Encounter/{note.Encounter.Id}", issue.Diagnostics);
        var status = response.Content.Headers.ContentLocation ?? new Uri(response.Headers.GetValues("Content-Location").Single());
        var polled = await _coding.Http.GetAsync(status);
        Assert.Equal(HttpStatusCode.Accepted, polled.StatusCode);
        Assert.Equal($"waiting for Encounter/{note.Encounter.Id}", polled.Headers.GetValues("X-Progress").Single());

        await _coding.PutAsync(note.Encounter);

        await CodingTestClient.WaitAsync(async () => (await _coding.Http.GetAsync(status)).StatusCode == HttpStatusCode.OK);
    }

    [BackendFact]
    public async Task GivenAnEncounterBeingStored_WhenANoteDecidesMeanwhileToWaitForIt_ThenTheNoteSeesTheEncounterOnceCommittedInsteadOfWaiting()
    {
        var encounter = Note("decides-while-stored").Encounter;
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var storing = Store.WriteAsync([ResourceWrite.Upsert(encounter)], async (_, _) => { holding.SetResult(); await release.Task; });
        await holding.Task;

        var claimed = new CodingRequest("code-decides-while-stored", "DocumentReference", "decides-while-stored", 1, CodingRequestStatus.Running, 1, "token", null, null, null);
        var deciding = Store.WriteAsync([], (tx, ct) => CodingRequests.WaitForEncounterAsync(tx, claimed, encounter.Id!, ct));
        await Task.WhenAny(deciding, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.False(deciding.IsCompleted, "the note decided before the Encounter's transaction ended");
        release.SetResult();
        await storing;

        await Assert.ThrowsAsync<EncounterArrived>(() => deciding);
    }

    [BackendFact]
    public async Task GivenANoteDecidingToWait_WhenItsEncounterIsStoredMeanwhile_ThenTheEncounterWakesItAfterItsCommit()
    {
        var encounter = Note("stored-while-deciding").Encounter;
        const string documentId = "stored-while-deciding";
        var id = CodingRequests.IdFor("DocumentReference", documentId);
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deciding = Store.WriteAsync([], async (tx, ct) =>
        {
            await CodingRequests.RecordAsync(tx, "DocumentReference", documentId, 1, ct);
            await using (var claim = tx.Connection!.CreateCommand())
            {
                claim.Transaction = tx;
                claim.CommandText = $"UPDATE coding_request SET status = 'running', claim_token = 'token', attempts = 1 WHERE id = '{id}'";
                await claim.ExecuteNonQueryAsync(ct);
            }
            var claimed = new CodingRequest(id, "DocumentReference", documentId, 1, CodingRequestStatus.Running, 1, "token", null, null, null);
            Assert.True(await CodingRequests.WaitForEncounterAsync(tx, claimed, encounter.Id!, ct));
            parked.SetResult();
            await release.Task;
        });
        await parked.Task;

        var storing = Store.WriteAsync([ResourceWrite.Upsert(encounter)]);
        await Task.WhenAny(storing, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.False(storing.IsCompleted, "the Encounter looked for waiting notes before the note's transaction ended");
        release.SetResult();
        await deciding;
        await storing;

        var woken = (await Requests.GetAsync(id, default))!; // pending, or already taken by a drain (the note itself was never stored)
        Assert.NotEqual(CodingRequestStatus.Waiting, woken.Status);
        Assert.Null(woken.WaitingFor);
    }

    /// <summary>The outpatient Synthea note under its own ids (tests share the database, and a Claim is per encounter).</summary>
    static SyntheaNote Note(string documentId, string? encounterReference = null)
    {
        var note = SyntheaNote.Load("outpatient");
        note.Document.Id = documentId;
        note.Encounter.Id = "enc-" + documentId;
        note.Document.Context!.Encounter[0].Reference = encounterReference ?? $"Encounter/{note.Encounter.Id}";
        return note;
    }

    /// <summary>The statuses of every version of the Task, newest first.</summary>
    async Task<List<FhirTask.TaskStatus?>> TaskStatusesAsync(string taskId) =>
        (await _coding.ReadAsync<Bundle>($"/Task/{taskId}/_history")).Entry.Select(e => ((FhirTask)e.Resource!).Status).ToList();
}

public sealed class SqliteWaitingForEncounterTests(SqliteCodingServerFixture fixture) : WaitingForEncounterTests<SqliteCodingServerFixture>(fixture);

public sealed class PostgresWaitingForEncounterTests(PostgresCodingServerFixture fixture) : WaitingForEncounterTests<PostgresCodingServerFixture>(fixture);
