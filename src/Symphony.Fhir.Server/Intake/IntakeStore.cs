using System.Data.Common;
using Hl7.Fhir.Model;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Intake;

/// <summary>
/// Wraps the resource store so that every created or updated DocumentReference (and Encounter that already
/// has notes, which then get coded in its context) records a coding request in the same transaction as the
/// resource, whichever endpoint wrote it (REST, Bundle, $code). After commit the coding jobs are woken.
/// </summary>
public sealed class IntakeStore(IResourceStore inner, CodingSignal signal) : IResourceStore
{
    static readonly HashSet<string> CodedTypes = ["DocumentReference", "Encounter"];

    public System.Threading.Tasks.Task MigrateAsync(CancellationToken ct = default) => inner.MigrateAsync(ct);

    public Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct = default) => inner.ReadAsync(resourceType, id, ct);

    public Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct = default) =>
        inner.ReadVersionAsync(resourceType, id, versionId, ct);

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct = default) => inner.SearchAsync(query, ct);

    public Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken ct = default) => inner.HistoryAsync(query, ct);

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(
        IReadOnlyList<ResourceWrite> writes,
        Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task>? alsoInTransaction = null,
        CancellationToken ct = default)
    {
        var coded = writes.Where(w => w.Kind != WriteKind.Delete && CodedTypes.Contains(w.ResourceType) && w.Resource is not null).ToList();
        if (coded.Count == 0)
            return await inner.WriteAsync(writes, alsoInTransaction, ct);

        var results = await inner.WriteAsync(writes, async (tx, c) =>
        {
            // The store has set id and meta.versionId on each resource by now (unchanged ones keep their version).
            var notesHere = coded.Where(w => w.ResourceType == "DocumentReference").Select(w => w.Id).ToList();
            foreach (var write in coded)
            {
                // An Encounter is coded only to re-code notes stored before it (notes written with it have their own requests).
                if (write.ResourceType == "Encounter" && !await CodingRequests.HasStoredNotesAsync(tx, write.Id, notesHere, c))
                    continue;
                await CodingRequests.RecordAsync(tx, write.ResourceType, write.Id, int.Parse(write.Resource!.Meta!.VersionId!), c);
            }
            if (alsoInTransaction is not null)
                await alsoInTransaction(tx, c);
        }, ct);
        signal.RequestDrain();
        return results;
    }
}
