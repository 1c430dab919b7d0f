using Hl7.Fhir.Model;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Audit;

/// <summary>
/// AuditEvents in the shape of IHE Basic Audit Log Patterns (BALP) RESTful events: type rest, the interaction as
/// subtype; agents the client (with its network address) and the fhirUser when the token names one; source this
/// server; entities the resources touched by reference and the patients they belong to.
/// </summary>
public static class AuditEvents
{
    const string RestfulInteraction = "http://hl7.org/fhir/restful-interaction";
    const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";
    const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";

    /// <summary>The event of a write, stored with it: it is only ever committed if the write is, so its outcome is success.</summary>
    public static AuditEvent ForWrite(AuditRequest request, IReadOnlyList<ResourceWrite> writes)
    {
        var entities = new List<(string Reference, string? Patient)>();
        foreach (var write in writes.Take(AuditRequest.MaxEntities))
            entities.Add(($"{write.ResourceType}/{write.Id}", write.Resource is { } resource ? PatientOf(write.ResourceType, write.Id, resource) : null));
        return Build(request, StatusCodes.Status200OK, DateTimeOffset.UtcNow, entities);
    }

    /// <summary>The event of a read, or of a request that failed before anything was written.</summary>
    public static AuditEvent ForRequest(AuditRequest request, int statusCode, DateTimeOffset recorded)
    {
        var entities = request.Seen.Select(stored => (stored.VersionedReference, PatientOf(stored))).ToList();
        if (entities.Count == 0 && request.ResourceType is { } type && request.Id is { } id)
            entities.Add(($"{type}/{id}", type == "Patient" ? id : null));
        return Build(request, statusCode, recorded, entities);
    }

    static AuditEvent Build(AuditRequest request, int statusCode, DateTimeOffset recorded, IReadOnlyList<(string Reference, string? Patient)> entities)
    {
        var audit = new AuditEvent
        {
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "Restful Operation"),
            Subtype = [new Coding(RestfulInteraction, request.Interaction)],
            Action = ActionOf(request.Interaction),
            Recorded = recorded,
            Outcome = statusCode switch
            {
                < 400 => AuditEvent.AuditEventOutcome.N0,
                < 500 => AuditEvent.AuditEventOutcome.N4,
                _ => AuditEvent.AuditEventOutcome.N8,
            },
            OutcomeDesc = $"HTTP {statusCode}",
            Source = new AuditEvent.SourceComponent
            {
                Observer = new ResourceReference { Display = "Symphony.Fhir.Server" },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
        };
        audit.Agent.Add(new AuditEvent.AgentComponent
        {
            Type = new CodeableConcept(Dicom, "110153", "Source Role ID"),
            Who = request.Client is { } client ? new ResourceReference { Identifier = new Identifier { Value = client } } : null,
            Requestor = request.FhirUser is null,
            Network = request.Address is { } address
                ? new AuditEvent.NetworkComponent { Address = address, Type = AuditEvent.AuditEventAgentNetworkType.N2 }
                : null,
        });
        if (request.FhirUser is { } fhirUser)
        {
            audit.Agent.Add(new AuditEvent.AgentComponent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-RoleClass", "PROV", "healthcare provider"),
                Who = new ResourceReference(fhirUser),
                Requestor = true,
            });
        }
        foreach (var (reference, _) in entities)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(reference),
                Type = new Coding(EntityType, "2", "System Object"),
                Description = request.Operation,
            });
        }
        foreach (var patient in entities.Select(e => e.Patient).OfType<string>().Distinct())
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference($"Patient/{patient}"),
                Type = new Coding(EntityType, "1", "Person"),
                Role = new Coding(ObjectRole, "1", "Patient"),
            });
        }
        if (entities.Count == 0 && request.ResourceType is { } type)
            audit.Entity.Add(new AuditEvent.EntityComponent { What = new ResourceReference { Display = type }, Description = request.Operation });
        return audit;
    }

    static AuditEvent.AuditEventAction ActionOf(string interaction) => interaction switch
    {
        "create" => AuditEvent.AuditEventAction.C,
        "update" => AuditEvent.AuditEventAction.U,
        "delete" => AuditEvent.AuditEventAction.D,
        "operation" or "transaction" => AuditEvent.AuditEventAction.E,
        _ => AuditEvent.AuditEventAction.R,
    };

    static string? PatientOf(StoredResource stored) =>
        stored.ResourceType == "Patient" ? stored.Id
        : stored.Json is { } json ? PatientOf(stored.ResourceType, stored.Id, FhirSerialization.ParseStored(json))
        : null;

    /// <summary>The patient a resource is about, by the store's own patient/subject index (the compartment's main links).</summary>
    static string? PatientOf(string resourceType, string id, Resource resource) =>
        resourceType == "Patient" ? id
        : SearchParameters.Extract(resource).FirstOrDefault(row => row.Name is "patient" or "subject" && row.System == "Patient")?.Value;
}
