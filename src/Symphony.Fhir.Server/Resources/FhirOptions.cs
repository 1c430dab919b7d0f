using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Fhir;

namespace Symphony.Fhir.Server.Resources;

/// <summary>
/// The limits on what one request may ask of the server (section "Fhir"), checked at start. Each bounds the work
/// of a request before the expensive part (parsing, validating, querying) runs; defaults are far above real data
/// (in the 10-patient Synthea export the largest resource has 134 elements, and a patient has about 700 resources).
/// </summary>
public sealed class FhirOptions
{
    public const string Section = "Fhir";

    /// <summary>Largest accepted request body; larger ones get 413.</summary>
    public long MaxBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Most elements in one resource (each resource of a Bundle or contained counts on its own); more get 413.</summary>
    public int MaxElements { get; set; } = 100_000;

    /// <summary>Most entries in a Bundle sent to the server; more get 413.</summary>
    public int MaxBundleEntries { get; set; } = 10_000;

    /// <summary>Most values in one search, all parameters together (a,b,c counts three); more get 400.</summary>
    public int MaxSearchValues { get; set; } = 1_000;

    /// <summary>Largest body of CodeSystem/$import (a terminology release); larger ones get 413.</summary>
    public long MaxImportBytes { get; set; } = 200L * 1024 * 1024;

    private const long MaxInMemoryBytes = 1024 * 1024 * 1024;

    /// <summary>Kestrel's limits from ours: the body limit as a backstop for bodies not read through <see cref="FhirSerialization.CopyBodyAsync"/> (forms).</summary>
    public void ApplyTo(KestrelServerLimits limits)
    {
        limits.MaxRequestBodySize = MaxBodyBytes;
    }

    /// <summary>What a resource or Bundle sent to the REST API may hold.</summary>
    public BodyLimits BodyLimits => new(MaxBodyBytes, MaxElements, MaxBundleEntries);

    /// <summary>What $import may send: a release is large by nature, and it is stored, not validated.</summary>
    public BodyLimits ImportLimits => new(MaxImportBytes, int.MaxValue, int.MaxValue) { MaxBytesSetting = Name(nameof(MaxImportBytes)) };

    /// <summary>The setting's name as written in configuration, for error messages: Name(nameof(MaxElements)) is "Fhir:MaxElements".</summary>
    public static string Name(string property) => $"{Section}:{property}";

    /// <summary>Why these options cannot be used, or null if they can.</summary>
    public string? Problem()
    {
        // A body is read into memory, and then into a string twice its size.
        if (MaxBodyBytes is <= 0 or > MaxInMemoryBytes) return $"{Name(nameof(MaxBodyBytes))} must be between 1 and {MaxInMemoryBytes}.";
        if (MaxImportBytes <= 0) return $"{Name(nameof(MaxImportBytes))} must be positive.";
        if (MaxElements <= 0) return $"{Name(nameof(MaxElements))} must be positive.";
        if (MaxBundleEntries <= 0) return $"{Name(nameof(MaxBundleEntries))} must be positive.";
        if (MaxSearchValues <= 0) return $"{Name(nameof(MaxSearchValues))} must be positive.";
        return null;
    }
}

/// <summary>The server does not start with limits it cannot use; the message names the setting.</summary>
public sealed class FhirOptionsValidation : IValidateOptions<FhirOptions>
{
    public ValidateOptionsResult Validate(string? name, FhirOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
