using System.Collections.Concurrent;
using Symphony.Coders;
using Symphony.Terminology;
using Symphony.Terminology.Model;

namespace Symphony.Fhir.Server.CodingJobs;

public sealed class CodingJobOptions
{
    /// <summary>Pin one shipped ICD-10-CM release (e.g. "2021") instead of choosing by encounter date; loads one coder instead of several.</summary>
    public string? Icd10CmVersion { get; set; }

    /// <summary>Requests one job claims at a time; a job whose batch is full starts another, so workers share a burst.</summary>
    public int BatchSize { get; set; } = 25;

    /// <summary>Hangfire workers per worker process.</summary>
    public int WorkerCount { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>How long a claimed request stays with its worker; after that (the worker died) another may claim it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a worker looks for requests no job is draining (restart, expired lease).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// One coder per shipped ICD-10-CM release, loaded on first use: a note is coded against the release in
/// force on its encounter date (fiscal year from 1 October), or the nearest shipped one.
/// </summary>
public sealed class CoderCatalog(Microsoft.Extensions.Options.IOptions<CodingJobOptions> options)
{
    readonly ConcurrentDictionary<string, Lazy<Coder>> _coders = new();
    readonly Lazy<CodeSystemVersion> _pcs = new(ShippedTerminology.LoadIcd10Pcs);

    public (Coder Coder, CodeSystemVersions Versions) For(DateOnly serviceDate)
    {
        var version = Icd10CmVersionFor(serviceDate);
        var coder = _coders.GetOrAdd(version, v => new Lazy<Coder>(() => new Coder(ShippedTerminology.LoadIcd10Cm(v), _pcs.Value))).Value;
        return (coder, new CodeSystemVersions(version, _pcs.Value.Version));
    }

    public string Icd10CmVersionFor(DateOnly serviceDate)
    {
        if (!string.IsNullOrEmpty(options.Value.Icd10CmVersion)) return options.Value.Icd10CmVersion;
        var fiscalYear = EncounterContext.FiscalYear(serviceDate);
        var shipped = ShippedTerminology.Icd10CmVersions;
        return shipped.LastOrDefault(v => int.Parse(v) <= fiscalYear) ?? shipped[0];
    }
}
