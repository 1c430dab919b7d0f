using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Terminology;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>Which release a note is coded with, chosen among the releases stored in (or loaded from) a SQLite terminology store.</summary>
public sealed class CoderCatalogTests : IAsyncLifetime
{
    readonly string _path = Path.Combine(Path.GetTempPath(), $"symphony-catalog-{Guid.NewGuid():N}.db");
    readonly TerminologyService _service = new();
    TerminologyDatabase _db = null!;
    TerminologyGeneration _generation = null!;

    public async Task InitializeAsync()
    {
        _db = TerminologyDatabase.Sqlite(_path);
        _generation = new TerminologyGeneration(_db, _service, new TerminologyOptions(), NullLogger<TerminologyGeneration>.Instance);
        await _db.ImportAsync(new TerminologyBundle("test", [Small(Icd10CmLoader.Url, "2022"), Small(Icd10CmLoader.Url, "2024"), Small(Icd10PcsLoader.Url, "2026")], []));
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" }) File.Delete(file);
        return Task.CompletedTask;
    }

    CoderCatalog Catalog(string? pinned = null) =>
        new(Options.Create(new CodingJobOptions { Icd10CmVersion = pinned }), _service, _db, _generation,
            new ServerOptions(ServerRole.Worker, StorageProvider.Sqlite, _path, null),
            new Symphony.Fhir.Server.Review.SiteLexicons(new Symphony.Fhir.Server.Storage.SqliteResourceStore(_path), NullLogger<Symphony.Fhir.Server.Review.SiteLexicons>.Instance));

    [Theory]
    [InlineData("2023-10-01", "2024")] // first day of FY2024
    [InlineData("2024-09-30", "2024")] // last day of FY2024
    [InlineData("2022-03-15", "2022")]
    public async Task GivenStoredReleases_WhenTheEncounterFallsInAStoredFiscalYear_ThenThatReleaseIsUsedWithNoNote(string date, string expected)
    {
        var (coder, versions) = await Catalog().ForAsync(DateOnly.Parse(date), CancellationToken.None);

        Assert.Equal(expected, versions.Icd10Cm);
        Assert.Equal(expected, coder.Icd10Cm!.Version);
        Assert.Equal("2026", versions.Icd10Pcs);
        Assert.Null(versions.Note);
    }

    [Theory]
    [InlineData("2023-05-01", "2022", "coded with ICD-10-CM 2022: no release for FY2023 is loaded")] // FY2023 missing: the nearest earlier
    [InlineData("2026-12-01", "2024", "coded with ICD-10-CM 2024: no release for FY2027 is loaded")] // after the newest
    [InlineData("2019-06-01", "2022", "coded with ICD-10-CM 2022: no release for FY2019 is loaded")] // before the oldest: the oldest
    public async Task GivenNoStoredReleaseForTheFiscalYear_WhenCoded_ThenTheNearestReleaseIsUsedAndTheNoteSaysSo(string date, string expected, string note)
    {
        var (coder, versions) = await Catalog().ForAsync(DateOnly.Parse(date), CancellationToken.None);

        Assert.Equal(expected, versions.Icd10Cm);
        Assert.Equal(expected, coder.Icd10Cm!.Version);
        Assert.Equal(note, versions.Note);
    }

    [Fact]
    public async Task GivenAPinnedRelease_WhenANoteOfAnotherYearIsCoded_ThenThePinnedReleaseIsUsed()
    {
        var (_, versions) = await Catalog(pinned: "2022").ForAsync(new DateOnly(2024, 1, 10), CancellationToken.None);

        Assert.Equal("2022", versions.Icd10Cm);
        Assert.Null(versions.Note);
    }

    [Fact]
    public async Task GivenAPinnedReleaseThatIsNotStored_WhenANoteIsCoded_ThenItFailsNamingTheStoredReleases()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Catalog(pinned: "2030").ForAsync(new DateOnly(2024, 1, 10), CancellationToken.None));

        Assert.Contains("2022, 2024", error.Message);
    }

    [Fact]
    public async Task GivenAVersionTheTerminologyServiceHolds_WhenCoded_ThenTheCoderUsesThatSameObject()
    {
        var held = _service.Add(await _db.LoadCompiledAsync(Icd10CmLoader.Url, "2024"));

        var (coder, _) = await Catalog().ForAsync(new DateOnly(2024, 1, 10), CancellationToken.None);

        Assert.Same(held.Version, coder.Icd10Cm);
    }

    [Fact]
    public async Task GivenACoderInUse_WhenANewerReleaseIsImported_ThenNewNotesGetItAfterTheGenerationCheckAndTheOldCoderIsUnchanged()
    {
        var catalog = Catalog();
        var date = new DateOnly(2026, 12, 1); // FY2027
        var (before, beforeVersions) = await catalog.ForAsync(date, CancellationToken.None);

        await _db.ImportAsync(new TerminologyBundle("newer", [Small(Icd10CmLoader.Url, "2027")], []));
        var (stale, _) = await catalog.ForAsync(date, CancellationToken.None); // not yet checked: the choice stands
        await _generation.RefreshAsync(CancellationToken.None);
        var (after, afterVersions) = await catalog.ForAsync(date, CancellationToken.None);

        Assert.Equal("2024", beforeVersions.Icd10Cm);
        Assert.Same(before, stale);
        Assert.Equal("2027", afterVersions.Icd10Cm);
        Assert.Equal("2027", after.Icd10Cm!.Version);
        Assert.Null(afterVersions.Note);
        Assert.Equal("2024", before.Icd10Cm!.Version);
    }

    [Fact]
    public async Task GivenAnApiThatServesTheTerminology_WhenAnotherProcessImportsARelease_ThenTheServiceLoadsItOnTheNextCheck()
    {
        var startup = new TerminologyStartup(_service, new Symphony.Fhir.Server.Health.Readiness("not started"), _db, new TerminologyOptions { ImportShipped = false }, new StartedLifetime(), NullLogger<TerminologyStartup>.Instance);
        await startup.StartAsync(CancellationToken.None);
        await startup.Loaded.WaitAsync(TimeSpan.FromSeconds(30));
        var generation = new TerminologyGeneration(_db, _service, new TerminologyOptions(), NullLogger<TerminologyGeneration>.Instance, startup);
        await generation.RefreshAsync(CancellationToken.None);
        var held2024 = _service.Resolve(Icd10CmLoader.Url, "2024");

        await TerminologyDatabase.Sqlite(_path).ImportAsync(new TerminologyBundle("newer", [Small(Icd10CmLoader.Url, "2027")], []));
        Assert.Throws<TerminologyNotFoundException>(() => _service.Resolve(Icd10CmLoader.Url, "2027"));
        await generation.RefreshAsync(CancellationToken.None);

        Assert.Equal("2027", _service.Resolve(Icd10CmLoader.Url, "2027").Version.Version);
        Assert.Same(held2024, _service.Resolve(Icd10CmLoader.Url, "2024")); // what it held is not loaded again
        await startup.StopAsync(CancellationToken.None);
    }

    sealed class StartedLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(canceled: true);
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }

    static CodeSystemVersion Small(string url, string version) => new()
    {
        Url = url,
        Version = version,
        Name = url == Icd10PcsLoader.Url ? "ICD-10-PCS" : "ICD-10-CM",
        EffectiveFrom = Icd10CmLoader.FiscalYearStart(version),
        Concepts = new Dictionary<string, Concept>
        {
            ["J18.9"] = new() { Code = "J18.9", Display = "Pneumonia, unspecified organism", IsBillable = true },
        },
    };
}
