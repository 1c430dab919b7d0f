using System.Data.Common;
using Hl7.Fhir.Model;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Audit;

/// <summary>
/// Wraps the resource store, the one place every FHIR write reaches (REST, Bundles, operations): a write made for an
/// audited request stores its AuditEvent in the same transaction, and what a read returns is noted for the request's
/// event (written later, in a batch). Nobody writes an AuditEvent through it: the log is the server's alone.
/// </summary>
public sealed class AuditingStore(IResourceStore inner, IHttpContextAccessor http) : IResourceStore
{
    /// <summary>The store itself, for the batches of read events (they are not requests of their own).</summary>
    public IResourceStore Inner => inner;

    public System.Threading.Tasks.Task MigrateAsync(CancellationToken ct = default) => inner.MigrateAsync(ct);

    public async Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct = default)
    {
        var stored = await inner.ReadAsync(resourceType, id, ct);
        if (stored is { IsDeleted: false })
            AuditRequest.Current(http.HttpContext)?.Saw([stored]);
        return stored;
    }

    public async Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct = default)
    {
        var stored = await inner.ReadVersionAsync(resourceType, id, versionId, ct);
        if (stored is { IsDeleted: false })
            AuditRequest.Current(http.HttpContext)?.Saw([stored]);
        return stored;
    }

    public System.Threading.Tasks.Task ReadSqlAsync(Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task> read, CancellationToken ct = default) =>
        inner.ReadSqlAsync(read, ct);

    public async Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct = default)
    {
        var page = await inner.SearchAsync(query, ct);
        AuditRequest.Current(http.HttpContext)?.Saw(page.Matches.Concat(page.Included));
        return page;
    }

    /// <remarks>
    /// The system's history leaves the log out: each read of it would otherwise add to it, and the log is read as
    /// AuditEvent (its type history and search) with an audit scope.
    /// </remarks>
    public async Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken ct = default)
    {
        if (query.ResourceType is null)
            query = query with { ExceptType = AuditRequest.AuditEventType };
        var page = await inner.HistoryAsync(query, ct);
        AuditRequest.Current(http.HttpContext)?.Saw(page.Versions.Where(v => !v.IsDeleted));
        return page;
    }

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(
        IReadOnlyList<ResourceWrite> writes,
        Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task>? alsoInTransaction = null,
        CancellationToken ct = default)
    {
        if (writes.Any(w => w.ResourceType == AuditRequest.AuditEventType))
        {
            throw new FhirException(StatusCodes.Status405MethodNotAllowed, Outcomes.Error(OperationOutcome.IssueType.NotSupported,
                "AuditEvents are recorded by the server; they cannot be created, updated or deleted through the API."));
        }
        if (AuditRequest.Current(http.HttpContext) is not { } request)
            return await inner.WriteAsync(writes, alsoInTransaction, ct);

        var audit = AuditEvents.ForWrite(request, writes);
        var results = await inner.WriteAsync([.. writes, ResourceWrite.Create(audit)], alsoInTransaction, ct);
        request.WrittenInTransaction = true;
        return results.Take(writes.Count).ToList();
    }
}
