using Hl7.Fhir.Model;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>The server's CapabilityStatement: only the interactions and search parameters that are implemented.</summary>
public static class CapabilityStatementBuilder
{
    const string OperationUrl = "https://symphony-fhir.dev/OperationDefinition/";
    private static readonly CapabilityStatement.TypeRestfulInteraction[] TypeInteractions =
    [
        CapabilityStatement.TypeRestfulInteraction.Read,
        CapabilityStatement.TypeRestfulInteraction.Vread,
        CapabilityStatement.TypeRestfulInteraction.Update,
        CapabilityStatement.TypeRestfulInteraction.Delete,
        CapabilityStatement.TypeRestfulInteraction.HistoryInstance,
        CapabilityStatement.TypeRestfulInteraction.HistoryType,
        CapabilityStatement.TypeRestfulInteraction.Create,
        CapabilityStatement.TypeRestfulInteraction.SearchType,
    ];

    public static CapabilityStatement Build()
    {
        var version = typeof(CapabilityStatementBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Interaction =
            [
                new() { Code = CapabilityStatement.SystemRestfulInteraction.Transaction },
                new() { Code = CapabilityStatement.SystemRestfulInteraction.Batch },
                new() { Code = CapabilityStatement.SystemRestfulInteraction.HistorySystem },
            ],
        };
        foreach (var type in ModelInfo.SupportedResources.Where(t => t is not ("Resource" or "DomainResource")).Order())
            rest.Resource.Add(Resource(type));
        // Operations of our own (docs/review.md): defined by this server, so their definitions are named by our own canonical URLs.
        foreach (var type in new[] { "DocumentReference", "Encounter" })
            rest.Resource.Single(r => r.Type == type).Operation.Add(new CapabilityStatement.OperationComponent { Name = "review", Definition = OperationUrl + "review" });
        rest.Operation.Add(new CapabilityStatement.OperationComponent { Name = "site-lexicon", Definition = OperationUrl + "site-lexicon" });
        return new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Date = "2026-01-01",
            Kind = CapabilityStatementKind.Instance,
            Software = new CapabilityStatement.SoftwareComponent { Name = "Symphony.Fhir", Version = version },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "Symphony.Fhir FHIR R4 server" },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["json", "xml", KnownMediaTypes.FhirJson, KnownMediaTypes.FhirXml],
            Rest = [rest],
        };
    }

    private static CapabilityStatement.ResourceComponent Resource(string type)
    {
        var parameters = SearchParameters.For(type);
        var component = new CapabilityStatement.ResourceComponent
        {
            TypeElement = new Code<ResourceType>(ModelInfo.FhirTypeNameToResourceType(type)),
            Interaction = TypeInteractions.Select(code => new CapabilityStatement.ResourceInteractionComponent { Code = code }).ToList(),
            Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate,
            ReadHistory = true,
            UpdateCreate = true,
            ConditionalCreate = true,
            ConditionalUpdate = false,
            ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported,
            SearchInclude = parameters.Values.Where(p => p.Kind == SearchParamKind.Reference).Select(p => $"{type}:{p.Name}").Order().ToList(),
        };
        foreach (var name in SearchRequest.Supported(type))
        {
            var kind = name switch
            {
                KnownParameters.Id => SearchParamKind.Token,
                KnownParameters.LastUpdated => SearchParamKind.Date,
                _ => parameters[name].Kind,
            };
            component.SearchParam.Add(new CapabilityStatement.SearchParamComponent
            {
                Name = name,
                Type = kind switch
                {
                    SearchParamKind.Reference => SearchParamType.Reference,
                    SearchParamKind.Date => SearchParamType.Date,
                    _ => SearchParamType.Token,
                },
            });
        }
        return component;
    }
}
