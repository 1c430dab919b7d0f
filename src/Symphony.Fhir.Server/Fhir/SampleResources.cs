using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>
/// A realistic inpatient Encounter and its note (Synthea, embedded from Fhir/Samples), used to warm the validator,
/// serialisers and coder up at start: empty instances leave most of their code paths cold. Never stored.
/// </summary>
public static class SampleResources
{
    public static string Json(string resourceType)
    {
        var name = $"{typeof(SampleResources).Namespace}.Samples.{resourceType}.json";
        using var stream = typeof(SampleResources).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"No embedded sample {name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static T Load<T>() where T : Resource => new FhirJsonDeserializer().Deserialize<T>(Json(typeof(T).Name));
}
