using Microsoft.Extensions.Options;

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

    /// <summary>Most values in one search, all parameters together (a,b,c counts three); more get 400.</summary>
    public int MaxSearchValues { get; set; } = 1_000;

    private const long MaxInMemoryBytes = 1024 * 1024 * 1024;

    /// <summary>The setting's name as written in configuration, for error messages: Name(nameof(MaxElements)) is "Fhir:MaxElements".</summary>
    public static string Name(string property) => $"{Section}:{property}";

    /// <summary>Why these options cannot be used, or null if they can.</summary>
    public string? Problem()
    {
        // A body is read into memory, and then into a string twice its size.
        if (MaxBodyBytes is <= 0 or > MaxInMemoryBytes) return $"{Name(nameof(MaxBodyBytes))} must be between 1 and {MaxInMemoryBytes}.";
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
