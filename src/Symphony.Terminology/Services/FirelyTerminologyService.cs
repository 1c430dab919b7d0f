using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;
using Symphony.Terminology.Model;
using T = System.Threading.Tasks;

namespace Symphony.Terminology.Services;

/// <summary>
/// Firely's <see cref="ITerminologyService"/> over our store, so Firely's validator (and anything else
/// built on the SDK) checks codes against the loaded releases. Parameters in, Parameters out, as the
/// interface wants; the work is done by <see cref="TerminologyService"/>.
/// </summary>
public sealed class FirelyTerminologyService(TerminologyService service) : ITerminologyService
{
    public T.Task<Parameters> ValueSetValidateCode(Parameters parameters, string? id = null, bool useGet = false)
    {
        var url = Text(parameters, "url") ?? throw new ArgumentException("ValueSet $validate-code needs 'url'");
        var (system, code, display) = Coded(parameters);
        return T.Task.FromResult(Answer(() => service.ValidateInValueSet(url, system, code, display, Date(parameters))));
    }

    public T.Task<Parameters> CodeSystemValidateCode(Parameters parameters, string? id = null, bool useGet = false)
    {
        var (system, code, display) = Coded(parameters);
        system = Text(parameters, "url") ?? system;
        return T.Task.FromResult(Answer(() => service.ValidateCode(system, code, Text(parameters, "version"), Date(parameters), display)));
    }

    public T.Task<Resource> Expand(Parameters parameters, string? id = null, bool useGet = false)
    {
        var url = Text(parameters, "url") ?? throw new ArgumentException("$expand needs 'url'");
        var expansion = service.Expand(url, Text(parameters, "filter"), Int(parameters, "offset") ?? 0, Int(parameters, "count") ?? 1000, Date(parameters));
        var vs = new ValueSet
        {
            Url = url,
            Status = PublicationStatus.Active,
            Expansion = new ValueSet.ExpansionComponent { TimestampElement = new FhirDateTime(DateTimeOffset.UtcNow), Total = expansion.Total, Offset = expansion.Offset },
        };
        foreach (var item in expansion.Contains)
            vs.Expansion.Contains.Add(new ValueSet.ContainsComponent { System = item.System, Version = item.Version, Code = item.Code, Display = item.Display });
        return T.Task.FromResult<Resource>(vs);
    }

    public T.Task<Parameters> Lookup(Parameters parameters, bool useGet = false)
    {
        var (system, code, _) = Coded(parameters);
        var result = service.Lookup(system, code, Text(parameters, "version"), Date(parameters));
        var output = new Parameters();
        output.Add("name", new FhirString(result.System.Name));
        output.Add("version", new FhirString(result.System.Version));
        output.Add("display", new FhirString(result.Concept.Display));
        return T.Task.FromResult(output);
    }

    public T.Task<Parameters> Subsumes(Parameters parameters, string? id = null, bool useGet = false)
    {
        var system = Text(parameters, "system") ?? throw new ArgumentException("$subsumes needs 'system'");
        var outcome = service.Subsumes(system, Text(parameters, "codeA") ?? "", Text(parameters, "codeB") ?? "", Text(parameters, "version"));
        var output = new Parameters();
        output.Add("outcome", new Code(outcome switch
        {
            SubsumptionOutcome.Equivalent => "equivalent",
            SubsumptionOutcome.Subsumes => "subsumes",
            SubsumptionOutcome.SubsumedBy => "subsumed-by",
            _ => "not-subsumed",
        }));
        return T.Task.FromResult(output);
    }

    public T.Task<Parameters> Translate(Parameters parameters, string? id = null, bool useGet = false) =>
        throw new NotSupportedException("$translate: this server holds no ConceptMaps");

    public T.Task<Resource> Closure(Parameters parameters, bool useGet = false) =>
        throw new NotSupportedException("$closure is not supported");

    static Parameters Answer(Func<ValidationResult> validate)
    {
        ValidationResult result;
        try
        {
            result = validate();
        }
        catch (TerminologyNotFoundException e)
        {
            result = ValidationResult.Invalid(e.Message);
        }
        var output = new Parameters();
        output.Add("result", new FhirBoolean(result.Result));
        output.Add("message", new FhirString(result.Message));
        if (result.Display is not null) output.Add("display", new FhirString(result.Display));
        return output;
    }

    static (string System, string Code, string? Display) Coded(Parameters parameters)
    {
        var coding = parameters.Parameter.Select(p => p.Value).OfType<Coding>().FirstOrDefault()
            ?? parameters.Parameter.Select(p => p.Value).OfType<CodeableConcept>().SelectMany(c => c.Coding).FirstOrDefault();
        if (coding is not null) return (coding.System ?? "", coding.Code ?? "", coding.Display);
        return (Text(parameters, "system") ?? "", Text(parameters, "code") ?? "", Text(parameters, "display"));
    }

    static string? Text(Parameters parameters, string name) =>
        parameters.Parameter.FirstOrDefault(p => p.Name == name)?.Value?.ToString();

    static int? Int(Parameters parameters, string name) => int.TryParse(Text(parameters, name), out var n) ? n : null;

    static DateOnly? Date(Parameters parameters) =>
        Text(parameters, "date") is { Length: >= 10 } s && DateOnly.TryParse(s[..10], out var d) ? d : null;
}
