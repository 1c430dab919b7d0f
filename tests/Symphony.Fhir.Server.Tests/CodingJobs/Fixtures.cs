using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>A Synthea patient, encounter and note from fixtures/ ("inpatient" or "outpatient").</summary>
sealed record SyntheaNote(Patient Patient, Encounter Encounter, DocumentReference Document)
{
    public static SyntheaNote Load(string setting)
    {
        var deserializer = new FhirJsonDeserializer();
        T Read<T>(string type) where T : Resource =>
            deserializer.Deserialize<T>(File.ReadAllText(TestPaths.Fixture($"{setting}-{type}.json")));
        return new SyntheaNote(Read<Patient>("Patient"), Read<Encounter>("Encounter"), Read<DocumentReference>("DocumentReference"));
    }

    public string NoteText => System.Text.Encoding.UTF8.GetString(Document.Content[0].Attachment.Data!);
}
