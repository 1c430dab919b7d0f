using System.Data.Common;
using Hl7.Fhir.Model;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Telemetry;

namespace Symphony.Fhir.Server.Intake;

/// <summary>
/// Wraps the resource store so that every created or updated DocumentReference records a coding request in the
/// same transaction as the resource, and every stored Encounter re-opens the requests of notes that were waiting
/// for it, whichever endpoint wrote it (REST, Bundle, $code). After commit the coding jobs are woken.
/// </summary>
public sealed class IntakeStore(IResourceStore inner, CodingSignal signal) : IResourceStore
{
    static readonly HashSet<string> IntakeTypes = ["DocumentReference", "Encounter"];

    public System.Threading.Tasks.Task MigrateAsync(CancellationToken ct = default) => inner.MigrateAsync(ct);

    public Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct = default) => inner.ReadAsync(resourceType, id, ct);

    public Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct = default) =>
        inner.ReadVersionAsync(resourceType, id, versionId, ct);

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct = default) => inner.SearchAsync(query, ct);

    public System.Threading.Tasks.Task ReadSqlAsync(Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task> read, CancellationToken ct = default) =>
        inner.ReadSqlAsync(read, ct);

    public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken ct = default) => inner.HistoryAsync(query, ct);

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(
        IReadOnlyList<ResourceWrite> writes,
        Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task>? alsoInTransaction = null,
        CancellationToken ct = default)
    {
        var intake = writes.Where(w => w.Kind != WriteKind.Delete && IntakeTypes.Contains(w.ResourceType) && w.Resource is not null).ToList();
        if (intake.Count == 0)
            return await inner.WriteAsync(writes, alsoInTransaction, ct);

        var results = await inner.WriteAsync(writes, async (tx, c) =>
        {
            // Encounters first: a worker parking a note takes the Encounter's waiting lock before the note's request row,
            // so taking them in the same order here cannot deadlock with it.
            foreach (var encounter in intake.Where(w => w.ResourceType == "Encounter"))
                await CodingRequests.WakeWaitingForAsync(tx, encounter.Id, c);
            // The store has set id and meta.versionId on each resource by now (unchanged ones keep their version).
            foreach (var note in intake.Where(w => w.ResourceType == "DocumentReference"))
                await CodingRequests.RecordAsync(tx, note.ResourceType, note.Id, int.Parse(note.Resource!.Meta!.VersionId!), c);
            if (alsoInTransaction is not null)
                await alsoInTransaction(tx, c);
        }, ct);
        CodingTelemetry.NotesAccepted(intake.Count(w => w.ResourceType == "DocumentReference"));
        signal.RequestDrain();
        return results;
    }
}
