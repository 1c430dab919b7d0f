using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.Storage;

/// <summary>The same behaviour on every backend: each subclass runs these against its own fresh database.</summary>
public abstract class ResourceStoreTests : IAsyncLifetime
{
    private static readonly FhirJsonDeserializer Deserializer = new();
    private TestBackend? _backend;
    private IResourceStore _store = null!;

    protected abstract System.Threading.Tasks.Task<TestBackend> CreateBackendAsync();

    public async Task InitializeAsync()
    {
        _backend = await CreateBackendAsync();
        _store = _backend.CreateStore();
    }

    public async Task DisposeAsync()
    {
        if (_backend is not null)
            await _backend.DisposeAsync();
    }

    [BackendFact]
    public async Task GivenANewResource_WhenCreated_ThenItReadsBackAsVersion1WithMeta()
    {
        var patient = NewPatient("Ada");

        var result = (await _store.WriteAsync([ResourceWrite.Create(patient)]))[0];
        var read = await _store.ReadAsync("Patient", result.Stored.Id);

        Assert.Equal(WriteStatus.Created, result.Status);
        Assert.NotNull(read);
        Assert.Equal(1, read.VersionId);
        var stored = Deserializer.DeserializeResource(read.Json!);
        Assert.Equal(result.Stored.Id, stored.Id);
        Assert.Equal("1", stored.Meta!.VersionId);
        Assert.Equal(read.LastUpdated, stored.Meta.LastUpdated);
        Assert.True(patient.IsExactly(stored));
    }

    [BackendFact]
    public async Task GivenConcurrentTransactions_WhenEachBuildsTheSameResourceFromWhatIsStored_ThenEachBuildSeesAllEarlierCommits()
    {
        // Each transaction adds a Patient and rebuilds one Group counting the Patients (as a note's coding rebuilds its
        // encounter's Claim): the build runs under the Group's lock, so no transaction misses another's Patient.
        const int writers = 12;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(i => Task.Run(() => _store.WriteAsync(
        [
            ResourceWrite.Upsert(NewPatient($"P{i}", $"roster-{i}")),
            ResourceWrite.UpsertBuilt("Group", "roster", async (tx, ct) =>
            {
                await using var count = tx.Connection!.CreateCommand();
                count.Transaction = tx;
                count.CommandText = "SELECT COUNT(*) FROM resource WHERE resource_type = 'Patient' AND id LIKE 'roster-%'";
                var patients = Convert.ToInt32(await count.ExecuteScalarAsync(ct));
                return new Group { Type = Group.GroupType.Person, Actual = true, Quantity = patients };
            }),
        ]))));

        var history = await _store.HistoryAsync(new HistoryQuery("Group", "roster", Count: 100));
        var counts = history.Versions.Select(v => Deserializer.Deserialize<Group>(v.Json!).Quantity!.Value).Order();
        Assert.Equal(Enumerable.Range(1, writers), counts);
    }

    [BackendFact]
    public async Task GivenUnchangedContent_WhenUpserted_ThenNoNewVersionIsWritten()
    {
        var id = Guid.NewGuid().ToString();
        var first = (await _store.WriteAsync([ResourceWrite.Upsert(NewPatient("Bo", id))]))[0];
        var again = (await _store.WriteAsync([ResourceWrite.Upsert(NewPatient("Bo", id))]))[0];
        var changed = (await _store.WriteAsync([ResourceWrite.Upsert(NewPatient("Bob", id))]))[0];

        Assert.Equal(WriteStatus.Created, first.Status);
        Assert.Equal((WriteStatus.Unchanged, 1), (again.Status, again.Stored.VersionId));
        Assert.Equal((WriteStatus.Updated, 2), (changed.Status, changed.Stored.VersionId));
        var history = await _store.HistoryAsync(new HistoryQuery("Patient", id));
        Assert.Equal([2, 1], history.Versions.Select(v => v.VersionId));
        var version1 = (Patient)Deserializer.DeserializeResource((await _store.ReadVersionAsync("Patient", id, 1))!.Json!);
        Assert.Equal("Bo", version1.Name[0].Family);
    }

    [BackendFact]
    public async Task GivenOneCallWithManyResourcesAndTheSameIdTwice_WhenWritten_ThenEveryVersionIsKeptAndSearchSeesOnlyTheLast()
    {
        // More rows and parameters than one statement of the store carries, so the write goes out in several.
        var existing = NewPatient("Gil", Guid.NewGuid().ToString());
        existing.Identifier = [new Identifier("urn:test", "before")];
        await _store.WriteAsync([ResourceWrite.Upsert(existing)]);
        var fresh = Guid.NewGuid().ToString();
        var conditions = Enumerable.Range(0, 1200).Select(i => new Condition
        {
            Subject = new ResourceReference($"Patient/{existing.Id}"),
            Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-10-cm", $"Z{i:000}"),
        }).ToList();
        ResourceWrite Tagged(string id, string value)
        {
            var patient = NewPatient("Gil", id);
            patient.Identifier = [new Identifier("urn:test", value)];
            return ResourceWrite.Upsert(patient);
        }

        var results = await _store.WriteAsync(
        [
            Tagged(existing.Id!, "middle"), Tagged(fresh, "first"), .. conditions.Select(ResourceWrite.Create), Tagged(existing.Id!, "after"), Tagged(fresh, "second"),
        ]);

        Assert.Equal([2, 1, 3, 2], results.Where(r => r.Stored.ResourceType == "Patient").Select(r => r.Stored.VersionId));
        Assert.Equal(3, (await _store.HistoryAsync(new HistoryQuery("Patient", existing.Id))).Total);
        Assert.Equal(2, (await _store.HistoryAsync(new HistoryQuery("Patient", fresh))).Total);
        async Task<IEnumerable<string>> PatientsWith(string value) => (await _store.SearchAsync(new SearchQuery("Patient",
            [new SearchCriterion("identifier", SearchParamKind.Token, [new SearchValue("urn:test", value)])]))).Matches.Select(m => m.Id);
        Assert.Equal([existing.Id!], await PatientsWith("after"));
        Assert.Equal([fresh], await PatientsWith("second"));
        foreach (var stale in new[] { "before", "middle", "first" })
            Assert.Empty(await PatientsWith(stale));
        var bySubject = await _store.SearchAsync(new SearchQuery("Condition",
            [new SearchCriterion("subject", SearchParamKind.Reference, [new SearchValue("Patient", existing.Id)])], Count: 1));
        Assert.Equal(1200, bySubject.Total);
        var lastCode = await _store.SearchAsync(new SearchQuery("Condition",
            [new SearchCriterion("code", SearchParamKind.Token, [new SearchValue("http://hl7.org/fhir/sid/icd-10-cm", "Z1199")])]));
        Assert.Equal(conditions[^1].Id, Assert.Single(lastCode.Matches).Id);
    }

    [BackendFact]
    public async Task GivenAStaleIfMatch_WhenWritingSeveralResources_ThenNothingIsStored()
    {
        var id = Guid.NewGuid().ToString();
        await _store.WriteAsync([ResourceWrite.Upsert(NewPatient("Cy", id))]);
        await _store.WriteAsync([ResourceWrite.Upsert(NewPatient("Cyd", id))]);
        var other = NewPatient("Di");

        await Assert.ThrowsAsync<VersionConflictException>(() =>
            _store.WriteAsync([ResourceWrite.Create(other), ResourceWrite.Upsert(NewPatient("Cyril", id), ifMatchVersion: 1)]));

        Assert.Null(await _store.ReadAsync("Patient", other.Id!));
        Assert.Equal(2, (await _store.ReadAsync("Patient", id))!.VersionId);
    }

    [BackendFact]
    public async Task GivenExtraWork_WhenItFails_ThenTheResourceWritesAreRolledBack()
    {
        var patient = NewPatient("Ed");
        var seenInsideTransaction = 0L;

        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.WriteAsync([ResourceWrite.Create(patient)],
            async (transaction, ct) =>
            {
                await using var command = transaction.Connection!.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = $"SELECT COUNT(*) FROM resource WHERE id = '{patient.Id}'";
                seenInsideTransaction = Convert.ToInt64(await command.ExecuteScalarAsync(ct));
                throw new InvalidOperationException("extra work failed");
            }));

        Assert.Equal(1, seenInsideTransaction);
        Assert.Null(await _store.ReadAsync("Patient", patient.Id!));
    }

    [BackendFact]
    public async Task GivenADeletedResource_ThenReadShowsTheDeletionHistoryKeepsVersionsAndSearchSkipsIt()
    {
        var patient = NewPatient("Flo");
        await _store.WriteAsync([ResourceWrite.Create(patient)]);

        var deleted = (await _store.WriteAsync([ResourceWrite.Delete("Patient", patient.Id!)]))[0];
        var missing = (await _store.WriteAsync([ResourceWrite.Delete("Patient", Guid.NewGuid().ToString())]))[0];

        Assert.Equal((WriteStatus.Deleted, 2), (deleted.Status, deleted.Stored.VersionId));
        Assert.Equal(WriteStatus.NotFound, missing.Status);
        Assert.True((await _store.ReadAsync("Patient", patient.Id!))!.IsDeleted);
        Assert.Equal(2, (await _store.HistoryAsync(new HistoryQuery("Patient", patient.Id))).Total);
        var search = await _store.SearchAsync(new SearchQuery("Patient", [new SearchCriterion("_id", SearchParamKind.Token, [new SearchValue(Code: patient.Id)])]));
        Assert.Empty(search.Matches);
    }

    [BackendFact]
    public async Task GivenConditions_WhenSearchingByTokenReferenceAndDate_ThenOnlyMatchesReturn()
    {
        var encounter = new Encounter { Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB") };
        await _store.WriteAsync([ResourceWrite.Create(encounter)]);
        var patient = Guid.NewGuid().ToString();
        Condition NewCondition(string code, string onset) => new()
        {
            Subject = new ResourceReference($"Patient/{patient}"),
            Encounter = new ResourceReference($"Encounter/{encounter.Id}"),
            Code = new CodeableConcept("http://hl7.org/fhir/sid/icd-10-cm", code),
            RecordedDate = onset,
        };
        await _store.WriteAsync([ResourceWrite.Create(NewCondition("I10", "2020-03-01")), ResourceWrite.Create(NewCondition("E11.9", "2021-06-15T10:00:00Z"))]);

        async System.Threading.Tasks.Task<string[]> Codes(params SearchCriterion[] criteria)
        {
            var page = await _store.SearchAsync(new SearchQuery("Condition",
                [new SearchCriterion("patient", SearchParamKind.Reference, [new SearchValue("Patient", patient)]), .. criteria]));
            return page.Matches.Select(m => ((Condition)Deserializer.DeserializeResource(m.Json!)).Code!.Coding[0].Code!).Order().ToArray();
        }

        Assert.Equal(["E11.9", "I10"], await Codes());
        Assert.Equal(["I10"], await Codes(new SearchCriterion("code", SearchParamKind.Token, [new SearchValue("http://hl7.org/fhir/sid/icd-10-cm", "I10")])));
        Assert.Equal(["E11.9"], await Codes(new SearchCriterion("code", SearchParamKind.Token, [new SearchValue(Code: "E11.9")])));
        Assert.Empty(await Codes(new SearchCriterion("code", SearchParamKind.Token, [new SearchValue("http://snomed.info/sct", "I10")])));
        Assert.Equal(["E11.9", "I10"], await Codes(new SearchCriterion("encounter", SearchParamKind.Reference, [new SearchValue(null, encounter.Id)])));
    }

    [BackendFact]
    public async Task GivenResourcesWrittenAtDifferentTimes_WhenSearchingByLastUpdated_ThenEachPrefixBoundsTheRange()
    {
        var family = Guid.NewGuid().ToString("N");
        var identifier = new SearchCriterion("identifier", SearchParamKind.Token, [new SearchValue("urn:test", family)]);
        var written = new List<StoredResource>();
        for (var i = 0; i < 3; i++)
        {
            var patient = NewPatient(family, $"{family}-{i}");
            patient.Identifier.Add(new Identifier("urn:test", family));
            written.Add((await _store.WriteAsync([ResourceWrite.Upsert(patient)]))[0].Stored);
            await Task.Delay(20); // distinct last-updated instants (they are kept to the millisecond)
        }
        var middle = written[1].LastUpdated;

        async System.Threading.Tasks.Task<string[]> Ids(string prefix)
        {
            var at = new SearchValue(Prefix: prefix, Low: middle, High: middle);
            var page = await _store.SearchAsync(new SearchQuery("Patient", [identifier, new SearchCriterion("_lastUpdated", SearchParamKind.Date, [at])]));
            return page.Matches.Select(m => m.Id).Order().ToArray();
        }

        Assert.Equal([$"{family}-1", $"{family}-2"], await Ids("ge"));
        Assert.Equal([$"{family}-2"], await Ids("gt"));
        Assert.Equal([$"{family}-0", $"{family}-1"], await Ids("le"));
        Assert.Equal([$"{family}-0"], await Ids("lt"));
        Assert.Equal([$"{family}-1"], await Ids("eq"));
    }

    [BackendFact]
    public async Task GivenManyMatches_WhenPaging_ThenTotalCountsAllAndPagesDoNotOverlap()
    {
        var family = Guid.NewGuid().ToString("N");
        var identifier = new SearchCriterion("identifier", SearchParamKind.Token, [new SearchValue("urn:test", family)]);
        for (var i = 0; i < 5; i++)
        {
            var patient = NewPatient(family);
            patient.Identifier.Add(new Identifier("urn:test", family));
            await _store.WriteAsync([ResourceWrite.Create(patient)]);
        }

        var first = await _store.SearchAsync(new SearchQuery("Patient", [identifier], Count: 2));
        var second = await _store.SearchAsync(new SearchQuery("Patient", [identifier], Count: 2, Offset: 2));
        var newest = await _store.SearchAsync(new SearchQuery("Patient", [identifier], Count: 5, NewestFirst: true));
        var uncounted = await _store.SearchAsync(new SearchQuery("Patient", [identifier], Count: 2, CountAll: false));

        Assert.Equal(5, first.Total);
        Assert.Equal(2, first.Matches.Count);
        Assert.Empty(first.Matches.Select(m => m.Id).Intersect(second.Matches.Select(m => m.Id)));
        Assert.Equal(newest.Matches.Select(m => m.LastUpdated).OrderDescending(), newest.Matches.Select(m => m.LastUpdated));
        Assert.Equal(first.Matches.Select(m => m.Id), uncounted.Matches.Select(m => m.Id));
        Assert.Equal(2, uncounted.Total); // not counted: only what the page holds
    }

    [BackendFact]
    public async Task GivenAnUpToDateSchema_WhenMigratedAgain_ThenNothingChanges()
    {
        await _store.MigrateAsync();
        var second = _backend!.CreateStore();
        await second.MigrateAsync();

        Assert.NotEmpty(((SqlResourceStore)second).Migrations());
        Assert.Null(await second.ReadAsync("Patient", "none"));
    }

    [BackendFact]
    public async Task GivenAWriteTransactionInProgress_WhenReadThroughReadSql_ThenTheReadRunsBesideItAndSeesOnlyCommittedRows()
    {
        await _store.WriteAsync([ResourceWrite.Upsert(NewPatient("Committed", "read-sql-1"))]);
        var writing = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var write = Task.Run(() => _store.WriteAsync([ResourceWrite.Upsert(NewPatient("Uncommitted", "read-sql-2"))], async (_, _) =>
        {
            writing.SetResult();
            await release.Task;
        }));
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The writer holds its transaction (and, on SQLite, the process's writer and the database's write lock) until the read is done.
        var patients = -1;
        await _store.ReadSqlAsync(async (tx, ct) => patients = await CountPatientsAsync(tx, ct)).WaitAsync(TimeSpan.FromSeconds(30));
        release.SetResult();
        await write;

        Assert.Equal(1, patients);
        await _store.ReadSqlAsync(async (tx, ct) => patients = await CountPatientsAsync(tx, ct));
        Assert.Equal(2, patients);
    }

    private static async Task<int> CountPatientsAsync(System.Data.Common.DbTransaction tx, CancellationToken ct)
    {
        await using var count = tx.Connection!.CreateCommand();
        count.Transaction = tx;
        count.CommandText = "SELECT COUNT(*) FROM resource WHERE resource_type = 'Patient' AND id LIKE 'read-sql-%'";
        return Convert.ToInt32(await count.ExecuteScalarAsync(ct));
    }

    private static Patient NewPatient(string family, string? id = null) => new()
    {
        Id = id,
        Name = [new HumanName { Family = family, Given = ["Test"] }],
        Gender = AdministrativeGender.Unknown,
    };
}

public sealed class SqliteResourceStoreTests : ResourceStoreTests
{
    protected override System.Threading.Tasks.Task<TestBackend> CreateBackendAsync() => System.Threading.Tasks.Task.FromResult<TestBackend>(new SqliteTestBackend());

    [Fact]
    public async Task GivenAStatementThatWrites_WhenRunThroughReadSql_ThenItFailsAndNothingChanges()
    {
        await using var backend = new SqliteTestBackend();
        var store = backend.CreateStore();
        await store.MigrateAsync();

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.ReadSqlAsync(async (tx, ct) =>
        {
            await using var insert = tx.Connection!.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO schema_migrations (version, applied_at) VALUES ('not-a-migration', 'now')";
            await insert.ExecuteNonQueryAsync(ct);
        }));

        var migrations = -1;
        await store.ReadSqlAsync(async (tx, ct) =>
        {
            await using var count = tx.Connection!.CreateCommand();
            count.Transaction = tx;
            count.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE version = 'not-a-migration'";
            migrations = Convert.ToInt32(await count.ExecuteScalarAsync(ct));
        });
        Assert.Equal(0, migrations);
    }

    [Fact]
    public async Task GivenAnotherConnectionHoldingTheDatabaseWriteLock_WhenReadThroughReadSql_ThenTheReadDoesNotWaitWhileAWriteDoes()
    {
        await using var backend = new SqliteTestBackend();
        var store = (SqliteResourceStore)backend.CreateStore();
        await store.WriteAsync([ResourceWrite.Upsert(new Patient { Id = "held" })]);

        // As another process would: a connection of its own that takes SQLite's write lock and keeps it.
        await using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store.Path}");
        await other.OpenAsync();
        var held = other.BeginTransaction(deferred: false);
        await using (var touch = other.CreateCommand())
        {
            touch.Transaction = held;
            touch.CommandText = "UPDATE resource SET last_updated = last_updated WHERE id = 'held'";
            await touch.ExecuteNonQueryAsync();
        }

        // Microsoft.Data.Sqlite waits for a lock synchronously: the write waits on a thread of its own.
        var waitingWrite = Task.Run(() => store.WriteAsync([ResourceWrite.Upsert(new Patient { Id = "after" })]));
        var patients = -1;
        await store.ReadSqlAsync(async (tx, ct) =>
        {
            await using var count = tx.Connection!.CreateCommand();
            count.Transaction = tx;
            count.CommandText = "SELECT COUNT(*) FROM resource WHERE resource_type = 'Patient'";
            patients = Convert.ToInt32(await count.ExecuteScalarAsync(ct));
        }).WaitAsync(TimeSpan.FromSeconds(20));
        var writeWaited = !waitingWrite.IsCompleted;
        held.Commit();
        await waitingWrite;

        Assert.Equal(1, patients);
        Assert.True(writeWaited);
        Assert.NotNull(await store.ReadAsync("Patient", "after"));
    }
}

public sealed class PostgresResourceStoreTests : ResourceStoreTests
{
    protected override async System.Threading.Tasks.Task<TestBackend> CreateBackendAsync()
    {
        var backend = new PostgresTestBackend();
        await backend.CreateAsync();
        return backend;
    }
}
