using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Resources;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;

namespace Symphony.Fhir.Server.Terminology;

/// <summary>
/// CodeSystem/$lookup, $validate-code, $subsumes, $import and ValueSet/$expand, $validate-code with
/// FHIR R4 semantics: inputs from the query string (GET) or a Parameters body (POST), Parameters out.
/// The work is done by <see cref="TerminologyService"/>; this class only translates.
/// </summary>
public static class TerminologyEndpoints
{
    public static void Map(WebApplication app)
    {
        foreach (var method in new[] { HttpMethods.Get, HttpMethods.Post })
        {
            app.MapMethods("/CodeSystem/$lookup", [method], Handle(Lookup));
            app.MapMethods("/CodeSystem/$validate-code", [method], Handle(ValidateCode));
            app.MapMethods("/CodeSystem/$subsumes", [method], Handle(Subsumes));
            app.MapMethods("/ValueSet/$expand", [method], Handle(Expand));
            app.MapMethods("/ValueSet/$validate-code", [method], Handle(ValidateInValueSet));
        }
        // Loading terminology changes what every client's coding answers: an admin's scope. Reads need only a token.
        app.MapPost("/CodeSystem/$import", Import).RequireScope(SmartPermission.Create, "CodeSystem");
    }

    /// <summary>Reads the inputs, answers 503 while loading and 404 for unknown systems/versions/value sets.</summary>
    static Func<HttpContext, TerminologyService, Task<IResult>> Handle(Func<TerminologyService, Inputs, Resource> operation) =>
        async (context, service) =>
        {
            if (!context.RequestServices.GetRequiredKeyedService<Health.Readiness>(TerminologyStartup.Part).IsReady)
            {
                // Expected while starting: answered, not thrown, so it is not logged as a server error.
                context.Response.Headers.RetryAfter = "5";
                return FhirResult.Outcome(StatusCodes.Status503ServiceUnavailable,
                    Outcomes.Error(OperationOutcome.IssueType.Transient, "terminology is loading, retry in a few seconds"));
            }
            var inputs = await Inputs.ReadAsync(context.Request, context.RequestAborted);
            try
            {
                return FhirResult.Of(StatusCodes.Status200OK, operation(service, inputs));
            }
            catch (TerminologyNotFoundException e)
            {
                throw FhirException.NotFound(e.Message);
            }
            catch (NotSupportedException e)
            {
                throw FhirException.BadRequest(e.Message);
            }
        };

    static Resource Lookup(TerminologyService service, Inputs inputs)
    {
        var (system, code, version, _) = inputs.CodingOrCode("coding", "system", "code", "version");
        var result = service.Lookup(system, code, version, inputs.Date());
        var concept = result.Concept;
        var output = new Parameters();
        output.Add("name", new FhirString(result.System.Name));
        output.Add("version", new FhirString(result.System.Version));
        output.Add("display", new FhirString(concept.Display));
        if (concept.ShortDisplay is not null && concept.ShortDisplay != concept.Display)
            AddParts(output, "designation", ("use", new Coding("http://terminology.hl7.org/CodeSystem/designation-usage", "display", "Short")), ("value", new FhirString(concept.ShortDisplay)));
        foreach (var designation in concept.Designations)
            AddParts(output, "designation", ("value", new FhirString(designation)));
        if (result.Parent is not null) AddProperty(output, "parent", new Code(result.Parent.Code), result.Parent.Display);
        foreach (var child in result.Children) AddProperty(output, "child", new Code(child.Code), child.Display);
        AddProperty(output, "billable", new FhirBoolean(concept.IsBillable));
        AddProperty(output, "kind", new Code(concept.Kind));
        foreach (var note in concept.Notes) AddProperty(output, NoteProperty(note.Kind), new FhirString(note.Text));
        foreach (var (name, value) in concept.Properties) AddProperty(output, name, new FhirString(value));
        if (concept.SeventhCharacters is not null)
            foreach (var (ch, meaning) in concept.SeventhCharacters) AddProperty(output, "seventh-character", new FhirString($"{ch}: {meaning}"));
        return output;
    }

    static string NoteProperty(NoteKind kind) => kind switch
    {
        NoteKind.InclusionTerm => "inclusion-term",
        NoteKind.Includes => "includes",
        NoteKind.Excludes1 => "excludes1",
        NoteKind.Excludes2 => "excludes2",
        NoteKind.CodeFirst => "code-first",
        NoteKind.UseAdditionalCode => "use-additional-code",
        NoteKind.CodeAlso => "code-also",
        _ => "note",
    };

    static Resource ValidateCode(TerminologyService service, Inputs inputs)
    {
        var (system, code, version, display) = inputs.CodingOrCode("coding", "url", "code", "version");
        if (string.IsNullOrEmpty(system)) (system, code, version, display) = inputs.CodingOrCode("coding", "system", "code", "version");
        return ValidationParameters(service.ValidateCode(system, code, version, inputs.Date(), display ?? inputs.One("display")));
    }

    static Resource ValidateInValueSet(TerminologyService service, Inputs inputs)
    {
        var url = inputs.Required("url");
        var (system, code, _, display) = inputs.CodingOrCode("coding", "system", "code", "systemVersion");
        return ValidationParameters(service.ValidateInValueSet(url, system, code, display ?? inputs.One("display"), inputs.Date()));
    }

    static Parameters ValidationParameters(ValidationResult result)
    {
        var output = new Parameters();
        output.Add("result", new FhirBoolean(result.Result));
        output.Add("message", new FhirString(result.Message));
        if (result.Display is not null) output.Add("display", new FhirString(result.Display));
        return output;
    }

    static Resource Subsumes(TerminologyService service, Inputs inputs)
    {
        var system = inputs.Required("system");
        var outcome = service.Subsumes(system, inputs.Required("codeA"), inputs.Required("codeB"), inputs.One("version"));
        var output = new Parameters();
        output.Add("outcome", new Code(outcome switch
        {
            SubsumptionOutcome.Equivalent => "equivalent",
            SubsumptionOutcome.Subsumes => "subsumes",
            SubsumptionOutcome.SubsumedBy => "subsumed-by",
            _ => "not-subsumed",
        }));
        return output;
    }

    static Resource Expand(TerminologyService service, Inputs inputs)
    {
        var url = inputs.Required("url");
        var filter = inputs.One("filter");
        var offset = inputs.Int("offset") ?? 0;
        var count = inputs.Int("count") ?? 100;
        var expansion = service.Expand(url, filter, offset, count, inputs.Date());
        var vs = new ValueSet
        {
            Url = url,
            Status = PublicationStatus.Active,
            Expansion = new ValueSet.ExpansionComponent
            {
                Identifier = "urn:uuid:" + Guid.NewGuid(),
                TimestampElement = new FhirDateTime(DateTimeOffset.UtcNow),
                Total = expansion.Total,
                Offset = expansion.Offset,
            },
        };
        if (filter is not null) vs.Expansion.Parameter.Add(new ValueSet.ParameterComponent { Name = "filter", Value = new FhirString(filter) });
        vs.Expansion.Parameter.Add(new ValueSet.ParameterComponent { Name = "offset", Value = new Integer(offset) });
        vs.Expansion.Parameter.Add(new ValueSet.ParameterComponent { Name = "count", Value = new Integer(count) });
        foreach (var item in expansion.Contains)
        {
            vs.Expansion.Contains.Add(new ValueSet.ContainsComponent
            {
                System = item.System, Version = item.Version, Code = item.Code, Display = item.Display, Abstract = item.Abstract ? true : null,
            });
        }
        return vs;
    }

    /// <summary>
    /// Admin: POST a CodeSystem, ValueSet or Bundle of them (FHIR JSON/XML), a release zip (application/zip)
    /// or a FHIR package (application/gzip). Stored in one transaction, then served. Same content twice = unchanged.
    /// A body over Fhir:MaxImportBytes is refused (413) before any of it is read when Content-Length says so, else as
    /// soon as the bytes read pass the limit.
    /// </summary>
    static async Task<IResult> Import(HttpContext context, TerminologyService service, TerminologyDatabase database, IOptions<FhirOptions> options)
    {
        var request = context.Request;
        var limits = options.Value.ImportLimits;
        TerminologyBundle bundle;
        try
        {
            if (request.ContentType is { } type && (type.StartsWith("application/zip", StringComparison.OrdinalIgnoreCase) || type.StartsWith("application/gzip", StringComparison.OrdinalIgnoreCase)))
            {
                var temp = Path.Combine(Path.GetTempPath(), $"symphony-import-{Guid.NewGuid():N}{(type.Contains("zip") ? ".zip" : ".tgz")}");
                try
                {
                    await using (var file = File.Create(temp))
                        await FhirSerialization.CopyBodyAsync(request, file, limits.MaxBytes, limits.MaxBytesSetting, context.RequestAborted);
                    bundle = TerminologySource.Read(temp);
                }
                finally
                {
                    File.Delete(temp);
                }
            }
            else
            {
                var resource = await FhirSerialization.ReadResourceAsync(request, limits, context.RequestAborted);
                var resources = resource is Bundle b ? b.Entry.Select(e => e.Resource).OfType<Resource>() : [resource];
                bundle = FhirTerminologyLoader.FromResources("request", resources);
            }
        }
        catch (InvalidDataException e)
        {
            throw FhirException.BadRequest(e.Message);
        }
        var outcomes = await database.ImportAsync(bundle, null, context.RequestAborted);
        foreach (var version in bundle.CodeSystems) service.Add(version);
        foreach (var vs in bundle.ValueSets) service.Add(vs);
        var output = new Parameters();
        foreach (var outcome in outcomes)
        {
            AddParts(output, "outcome",
                ("resourceType", new Code(outcome.Kind)),
                ("url", new FhirUri(outcome.Url)),
                ("version", new FhirString(outcome.Version ?? "")),
                ("status", new Code(outcome.Status.ToString().ToLowerInvariant())),
                ("concepts", new Integer(outcome.Concepts)));
        }
        return FhirResult.Of(StatusCodes.Status200OK, output);
    }

    static void AddParts(Parameters output, string name, params (string Name, DataType Value)[] parts)
    {
        var parameter = new Parameters.ParameterComponent { Name = name };
        foreach (var (partName, value) in parts) parameter.Part.Add(new Parameters.ParameterComponent { Name = partName, Value = value });
        output.Parameter.Add(parameter);
    }

    static void AddProperty(Parameters output, string code, DataType value, string? description = null)
    {
        if (description is null) AddParts(output, "property", ("code", new Code(code)), ("value", value));
        else AddParts(output, "property", ("code", new Code(code)), ("value", value), ("description", new FhirString(description)));
    }

    /// <summary>Operation inputs from the query string and, for POST, a Parameters body.</summary>
    sealed class Inputs
    {
        readonly Dictionary<string, List<string>> values = new(StringComparer.Ordinal);
        readonly Dictionary<string, Coding> codings = new(StringComparer.Ordinal);

        public static async Task<Inputs> ReadAsync(HttpRequest request, CancellationToken ct)
        {
            var inputs = new Inputs();
            foreach (var (key, value) in request.Query)
                foreach (var v in value) if (v is not null) inputs.Add(key, v);
            if (HttpMethods.IsPost(request.Method) && (request.ContentLength ?? 1) > 0)
            {
                if (await FhirSerialization.ReadResourceAsync(request, 10 * 1024 * 1024, ct) is not Parameters parameters)
                    throw FhirException.BadRequest("The body of a terminology operation must be a Parameters resource");
                foreach (var p in parameters.Parameter)
                {
                    if (p.Name is null) continue;
                    switch (p.Value)
                    {
                        case Coding coding: inputs.codings[p.Name] = coding; break;
                        case CodeableConcept { Coding.Count: > 0 } cc: inputs.codings[p.Name] = cc.Coding[0]; break;
                        case PrimitiveType primitive when primitive.ToString() is { Length: > 0 } text: inputs.Add(p.Name, text); break;
                    }
                }
            }
            return inputs;
        }

        void Add(string name, string value)
        {
            if (!values.TryGetValue(name, out var list)) values[name] = list = [];
            list.Add(value);
        }

        public string? One(string name) => values.TryGetValue(name, out var list) ? list[0] : null;

        public string Required(string name) => One(name) ?? throw FhirException.BadRequest($"Parameter '{name}' is required");

        public int? Int(string name) => One(name) is { } s ? int.TryParse(s, out var n) ? n : throw FhirException.BadRequest($"Parameter '{name}' must be an integer") : null;

        /// <summary>The date to choose the version in force by ("date" input, FHIR date or dateTime).</summary>
        public DateOnly? Date() => One("date") is { } s
            ? DateOnly.TryParse(s.Length >= 10 ? s[..10] : s, CultureInfo.InvariantCulture, out var d) ? d : throw FhirException.BadRequest($"Parameter 'date' is not a date: {s}")
            : null;

        public (string System, string Code, string? Version, string? Display) CodingOrCode(string codingName, string systemName, string codeName, string versionName)
        {
            if (codings.TryGetValue(codingName, out var coding))
                return (coding.System ?? throw FhirException.BadRequest($"'{codingName}' has no system"), coding.Code ?? throw FhirException.BadRequest($"'{codingName}' has no code"), coding.Version ?? One(versionName), coding.Display);
            var system = One(systemName);
            if (system is null && systemName != "url") throw FhirException.BadRequest($"Parameter '{systemName}' (or '{codingName}') is required");
            return (system ?? "", system is null ? "" : Required(codeName), One(versionName), null);
        }
    }
}
