using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>
/// Validates incoming resources against FHIR R4 core, offline. Profiles a resource claims in meta.profile
/// that are not available here (US Core, claimed by Synthea data) are reported as warnings, not errors:
/// the resource is still checked against its core definition.
/// </summary>
public sealed class ResourceValidator
{
    // Firely's "unable to resolve reference to profile" issue.
    private const string UnresolvableProfileCode = "4000";

    // Loading the specification takes seconds; one validator serves the whole process (it is thread-safe).
    private static readonly Lazy<Validator> Shared = new(() =>
    {
        var resolver = new CachedResolver(ZipSource.CreateValidationSource());
        return new Validator(resolver, new LocalTerminologyService(resolver));
    });

    /// <summary>Issues of all severities; <see cref="HasErrors"/> tells whether to reject.</summary>
    public OperationOutcome Validate(Resource resource)
    {
        var outcome = Shared.Value.Validate(resource);
        foreach (var issue in outcome.Issue)
        {
            if (issue.Details?.Coding.Any(coding => coding.Code == UnresolvableProfileCode) == true)
                issue.Severity = OperationOutcome.IssueSeverity.Warning;
        }
        return outcome;
    }

    public static bool HasErrors(OperationOutcome outcome) =>
        outcome.Issue.Any(issue => issue.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal);

    /// <summary>
    /// Runs what an incoming note costs the api — parse, validate, serialise, extract search values — on the embedded
    /// sample Encounter and note, enough times for the JIT to compile the hot paths fully, and validates one small
    /// instance of the other types the product writes. A few hundred milliseconds of CPU, in the background.
    /// </summary>
    public void WarmUp(int rounds = 30)
    {
        var deserializer = new FhirJsonDeserializer();
        var serializer = new FhirJsonSerializer();
        var samples = new[] { "Encounter", "DocumentReference" }.Select(SampleResources.Json).ToList();
        for (var i = 0; i < rounds; i++)
        {
            foreach (var json in samples)
            {
                var resource = deserializer.DeserializeResource(json);
                Validate(resource);
                serializer.SerializeToString(resource);
                Storage.SearchParameters.Extract(resource);
            }
        }
        Resource[] others =
        [
            new Patient(), new Condition(), new Claim(), new Provenance(), new Bundle { Type = Bundle.BundleType.Transaction },
        ];
        foreach (var sample in others)
            Validate(sample);
    }
}

/// <summary>Warms the validator up after start, without holding up the server; the api is ready to take writes after it.</summary>
public sealed class ValidatorWarmUp(ResourceValidator validator, [FromKeyedServices(ValidatorWarmUp.Part)] Health.Readiness readiness, ILogger<ValidatorWarmUp> logger)
    : BackgroundService
{
    public const string Part = "validator";

    protected override System.Threading.Tasks.Task ExecuteAsync(CancellationToken stoppingToken) =>
        System.Threading.Tasks.Task.Run(() =>
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                validator.WarmUp();
            }
            catch (Exception e)
            {
                readiness.NotReady($"warm-up failed ({e.GetType().Name})");
                logger.LogError(e, "Validator warm-up failed");
                return;
            }
            readiness.Ready($"warm in {started.ElapsedMilliseconds} ms");
            logger.LogInformation("Validator ready in {Elapsed} ms", started.ElapsedMilliseconds);
        }, stoppingToken);
}
