using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// The R4 Patient compartment as far as this server indexes it: the Patient itself, and every resource whose
/// <c>patient</c> or <c>subject</c> parameter references it (the compartment's main links; its other links — author,
/// performer, asserter… — are not followed, so a patient/ scope never reaches more than the compartment).
/// </summary>
public static class PatientCompartment
{
    /// <summary>The claim with the patient in context (SMART launch context, written into the access token).</summary>
    public const string PatientClaim = "patient";

    public static bool Contains(StoredResource stored, string patientId)
    {
        if (stored.ResourceType == "Patient")
            return stored.Id == patientId;
        if (stored.Json is not { } json)
            return false;
        return SearchParameters.Extract(FhirSerialization.ParseStored(json))
            .Any(row => row.Name is "patient" or "subject" && row.System == "Patient" && row.Value == patientId);
    }
}
