using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>Firely validation against R4 core plus the StructureDefinitions in profiles/ (one warm instance for all tests).</summary>
static class ProfileValidator
{
    static readonly Lazy<Validator> Instance = new(Create);

    /// <summary>The error and fatal issues; empty when the resource conforms.</summary>
    public static IReadOnlyList<string> Errors(Resource resource)
    {
        OperationOutcome outcome;
        lock (Instance) outcome = Instance.Value.Validate(resource);
        return outcome.Issue
            .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{resource.TypeName}/{resource.Id}: {i.Details?.Text ?? i.Diagnostics} @ {string.Join(",", i.Expression)}")
            .ToList();
    }

    public static IReadOnlyList<StructureDefinition> LoadProfiles() =>
        Directory.GetFiles(TestPaths.Profiles, "StructureDefinition-*.json")
            .Select(f => new FhirJsonDeserializer().Deserialize<StructureDefinition>(File.ReadAllText(f)))
            .ToList();

    static Validator Create()
    {
        var core = ZipSource.CreateValidationSource();
        var resolver = new CachedResolver(new SnapshotSource(new MultiResolver(
            new InMemoryResourceResolver(LoadProfiles().ToArray<Resource>()), core)));
        return new Validator(resolver, new LocalTerminologyService(resolver));
    }
}
