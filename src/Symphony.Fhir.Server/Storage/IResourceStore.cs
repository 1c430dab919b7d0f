using System.Data.Common;
using Hl7.Fhir.Model;

namespace Symphony.Fhir.Server.Storage;

/// <summary>Versioned FHIR resource storage. Two backends (SQLite, PostgreSQL) with the same behaviour.</summary>
public interface IResourceStore
{
    /// <summary>Creates the schema or brings it up to date. Safe to call more than once.</summary>
    System.Threading.Tasks.Task MigrateAsync(CancellationToken ct = default);

    /// <summary>The current version, including a deleted one (IsDeleted, no Json); null if the id never existed.</summary>
    Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct = default);

    Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct = default);

    /// <summary>
    /// Applies all writes in one transaction, in order, and runs <paramref name="alsoInTransaction"/> inside it
    /// before commit: either everything is stored or nothing is. Resources get their id and meta set.
    /// </summary>
    Task<IReadOnlyList<WriteResult>> WriteAsync(
        IReadOnlyList<ResourceWrite> writes,
        Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task>? alsoInTransaction = null,
        CancellationToken ct = default);

    /// <summary>
    /// Runs read-only SQL (the jobs', review's and site lexicon's own tables) in a transaction that takes no write lock, so
    /// a poll never waits for a writer nor makes one wait. Only for reads: on SQLite a statement that writes fails.
    /// </summary>
    System.Threading.Tasks.Task ReadSqlAsync(Func<DbTransaction, CancellationToken, System.Threading.Tasks.Task> read, CancellationToken ct = default);

    Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct = default);

    /// <summary>Versions newest first; resourceType and id narrow it to a type or one resource.</summary>
    Task<HistoryPage> HistoryAsync(HistoryQuery query, CancellationToken ct = default);
}

public sealed record StoredResource(
    string ResourceType, string Id, int VersionId, DateTimeOffset LastUpdated, bool IsDeleted, string? Json)
{
    public string VersionedReference => $"{ResourceType}/{Id}/_history/{VersionId}";
}

public enum WriteKind
{
    /// <summary>A new resource with a server-assigned id.</summary>
    Create,

    /// <summary>Create-or-update with the given id; unchanged content keeps the current version.</summary>
    Upsert,

    Delete,
}

/// <summary>
/// One write of a transaction. <paramref name="Build"/>, when given, makes the resource inside the transaction, after the
/// resource's id is locked: what it reads there (in the same transaction) cannot change under it before commit, and it
/// sees the writes listed before it. Writes without a build are stored together, so a build costs a round trip.
/// </summary>
public sealed record ResourceWrite(
    WriteKind Kind, string ResourceType, string Id, Resource? Resource, int? IfMatchVersion = null,
    Func<DbTransaction, CancellationToken, Task<Resource>>? Build = null)
{
    public static ResourceWrite Create(Resource resource) =>
        new(WriteKind.Create, resource.TypeName, Guid.NewGuid().ToString(), resource);

    public static ResourceWrite Upsert(Resource resource, int? ifMatchVersion = null) =>
        new(WriteKind.Upsert, resource.TypeName,
            resource.Id ?? throw new ArgumentException("An upsert needs the resource id.", nameof(resource)),
            resource, ifMatchVersion);

    /// <summary>An upsert whose content is made inside the transaction, under the lock of its id (e.g. a summary of other rows).</summary>
    public static ResourceWrite UpsertBuilt(string resourceType, string id, Func<DbTransaction, CancellationToken, Task<Resource>> build) =>
        new(WriteKind.Upsert, resourceType, id, null, Build: build);

    public static ResourceWrite Delete(string resourceType, string id, int? ifMatchVersion = null) =>
        new(WriteKind.Delete, resourceType, id, null, ifMatchVersion);
}

public enum WriteStatus { Created, Updated, Unchanged, Deleted, NotFound }

public sealed record WriteResult(WriteStatus Status, StoredResource Stored);

/// <summary>Thrown when If-Match names a version that is not the current one; the transaction is rolled back.</summary>
public sealed class VersionConflictException(string message) : Exception(message);

public enum SearchParamKind { Token, Reference, Date }

/// <summary>One search value. Token: System (null = any, "" = none) and Code. Reference: System = target type (null = any), Code = id. Date: Prefix with Low..High.</summary>
public sealed record SearchValue(
    string? System = null, string? Code = null, string Prefix = "eq", DateTimeOffset? Low = null, DateTimeOffset? High = null);

/// <summary>A parameter with values OR-ed together; criteria are AND-ed. Names "_id" and "_lastUpdated" address the resource row.</summary>
public sealed record SearchCriterion(string Name, SearchParamKind Kind, IReadOnlyList<SearchValue> AnyOf);

/// <summary>A search; <paramref name="CountAll"/> false when the caller needs no total (it saves a statement): Total is then the matches returned.</summary>
public sealed record SearchQuery(
    string ResourceType,
    IReadOnlyList<SearchCriterion> Criteria,
    int Count = 20,
    int Offset = 0,
    bool NewestFirst = false,
    IReadOnlyList<string>? IncludeParams = null,
    bool CountAll = true);

public sealed record SearchPage(IReadOnlyList<StoredResource> Matches, IReadOnlyList<StoredResource> Included, int Total);

/// <summary>ExceptType leaves one type out of a system history (the audit log's own events).</summary>
public sealed record HistoryQuery(
    string? ResourceType = null, string? Id = null, int Count = 20, int Offset = 0, DateTimeOffset? Since = null, string? ExceptType = null);

public sealed record HistoryPage(IReadOnlyList<StoredResource> Versions, int Total);
