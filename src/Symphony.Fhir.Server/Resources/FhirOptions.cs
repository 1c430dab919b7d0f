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

    /// <summary>Longest request target (path and query), in bytes; longer ones get 414.</summary>
    public int MaxUrlBytes { get; set; } = 8 * 1024;

    /// <summary>Largest total size of the request headers, in bytes; larger ones get 431.</summary>
    public int MaxHeaderBytes { get; set; } = 32 * 1024;

    /// <summary>Time a client has to send the request headers before the connection is closed.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest body of CodeSystem/$import (a terminology release); larger ones get 413.</summary>
    public long MaxImportBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>
    /// Kestrel answers requests beyond its own limits before the application runs, with an empty body. Its limits are
    /// set this many times above ours so that the application sees, and answers with an OperationOutcome, anything
    /// up to there.
    /// </summary>
    public const int KestrelHeadroom = 8;

    private const int MaxLineOrHeaderBytes = 1024 * 1024 / KestrelHeadroom;

    private const long MaxInMemoryBytes = 1024 * 1024 * 1024;

    /// <summary>Kestrel's limits from ours: headroom above the URL and header limits, the body limit itself as a backstop for bodies not read through <see cref="FhirSerialization.CopyBodyAsync"/> (forms).</summary>
    public void ApplyTo(KestrelServerLimits limits)
    {
        limits.MaxRequestLineSize = MaxUrlBytes * KestrelHeadroom;
        limits.MaxRequestHeadersTotalSize = MaxHeaderBytes * KestrelHeadroom;
        limits.MaxRequestHeaderCount = RequestLimits.MaxHeaderCount * KestrelHeadroom;
        limits.MaxRequestBodySize = MaxBodyBytes;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
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
        // Below a kilobyte ordinary requests fail; above, Kestrel's limit (KestrelHeadroom times ours) passes its request buffer (1 MiB).
        if (MaxUrlBytes is < 1024 or > MaxLineOrHeaderBytes) return $"{Name(nameof(MaxUrlBytes))} must be between 1024 and {MaxLineOrHeaderBytes}.";
        if (MaxHeaderBytes is < 1024 or > MaxLineOrHeaderBytes) return $"{Name(nameof(MaxHeaderBytes))} must be between 1024 and {MaxLineOrHeaderBytes}.";
        if (RequestHeadersTimeout <= TimeSpan.Zero) return $"{Name(nameof(RequestHeadersTimeout))} must be positive.";
        return null;
    }
}

/// <summary>The server does not start with limits it cannot use; the message names the setting.</summary>
public sealed class FhirOptionsValidation : IValidateOptions<FhirOptions>
{
    public ValidateOptionsResult Validate(string? name, FhirOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
