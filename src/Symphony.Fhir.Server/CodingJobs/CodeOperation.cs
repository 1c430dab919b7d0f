using System.Text;
using Symphony.Coders;
using Symphony.Coders.Agent;
using Symphony.Coders.Text;
using Symphony.Terminology.Services;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>
/// $code on a DocumentReference or Encounter (coded and written back) or at the system level on inline
/// text (coded only). Synchronous by default; with Prefer: respond-async the answer is 202 and a
/// Content-Location status URL (202 while running, 200 with the result, DELETE cancels). A note whose
/// Encounter is not stored answers 202 at once, with an OperationOutcome naming the Encounter it waits for.
/// </summary>
public static class CodeOperation
{
    public const string StatusRoute = "/$code-status/{id}";
    public const string ServiceDateTag = "https://symphony-fhir.dev/CodeSystem/service-date";
    /// <summary>Tags of an asynchronous inline request's Binary: each 'system' and the 'valueSet' it named.</summary>
    public const string SystemTag = "https://symphony-fhir.dev/CodeSystem/code-with-system";
    public const string ValueSetTag = "https://symphony-fhir.dev/CodeSystem/code-with-value-set";
    public const string RequestedByTag = "https://symphony-fhir.dev/CodeSystem/requested-by";
    static readonly TimeSpan SynchronousLimit = TimeSpan.FromSeconds(60);

    public static WebApplication MapCodeOperation(this WebApplication app)
    {
        app.MapPost("/DocumentReference/{id}/$code", (string id, HttpRequest request, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct) =>
            CodeResourceAsync("DocumentReference", id, request, services, fhir, ct))
            .RequireScope(SmartPermission.Read, "DocumentReference").RequireScope(SmartPermission.Create, "Condition");
        app.MapPost("/Encounter/{id}/$code", (string id, HttpRequest request, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct) =>
            CodeResourceAsync("Encounter", id, request, services, fhir, ct))
            .RequireScope(SmartPermission.Read, "Encounter").RequireScope(SmartPermission.Create, "Condition");
        app.MapPost("/$code", CodeInlineAsync);
        app.MapGet(StatusRoute, StatusAsync);
        app.MapDelete(StatusRoute, CancelAsync);
        return app;
    }

    /// <summary>Codes a stored note (or an encounter's notes); an optional Parameters body may ask for a 'mode'.</summary>
    static async Task<IResult> CodeResourceAsync(string type, string id, HttpRequest http, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct)
    {
        var store = services.GetRequiredService<IResourceStore>();
        var stored = await store.ReadAsync(type, id, ct);
        if (stored is null || stored.IsDeleted) throw FhirException.NotFound($"{type}/{id} is not known.");
        string? mode = null;
        if ((http.ContentLength is > 0 || http.Headers.TransferEncoding.Count > 0) && !await IsEmptyParametersAsync(http, ct))
        {
            if (await FhirSerialization.ReadResourceAsync(http, fhir.Value.MaxBodyBytes, ct) is not Parameters input)
                throw FhirException.BadRequest($"{type}/$code takes no body, or a Parameters resource with an optional 'mode' (embedded|agent|hybrid).");
            // The written-back Conditions follow the stored note, whoever asks: its language is the note's to say.
            if (CodeValue(input, "language") is not null)
                throw FhirException.BadRequest($"{type}/$code codes a stored note in its own language (DocumentReference.language, else content[0].attachment.language, else the server's default): set it on the note instead of passing 'language'.");
            if (CodeValue(input, "mode") is { } requested) mode = services.GetRequiredService<AgentCoding>().ModeFor(requested).Name();
        }
        var requestId = CodingRequests.IdFor(type, id);
        await store.WriteAsync([], (tx, c) => CodingRequests.RecordAsync(tx, type, id, stored.VersionId, c, mode), ct);
        return await AnswerAsync(requestId, http, services, ct);
    }

    /// <summary>The coder for what the request names (<see cref="CoderCatalog.ForAsync(CodingTerminology, DateOnly, CancellationToken)"/>); 422 naming what this server does not hold.</summary>
    static async Task<(Coder Coder, CodeSystemVersions Versions, AllowedCodes? Allowed)> TerminologyForAsync(
        IServiceProvider services, CodingTerminology terminology, DateOnly date, CancellationToken ct)
    {
        try
        {
            var ((coder, versions), allowed) = await services.GetRequiredService<CoderCatalog>().ForAsync(terminology, date, ct);
            return (coder, versions, allowed);
        }
        catch (TerminologyNotFoundException missing)
        {
            throw new FhirException(StatusCodes.Status422UnprocessableEntity, Outcomes.Error(OperationOutcome.IssueType.NotFound, CoderCatalog.HowToLoad(missing)));
        }
    }

    /// <summary>A URI-valued input, repeatable, sent as valueUri, valueCanonical or valueString.</summary>
    static List<string> UriValues(Parameters input, string name) =>
        input.Parameter.Where(p => p.Name == name).Select(p => p.Value switch
        {
            FhirUri uri => uri.Value,
            Canonical canonical => canonical.Value,
            FhirString text => text.Value,
            _ => null,
        } ?? throw FhirException.BadRequest($"'{name}' takes a valueUri or valueCanonical.")).ToList();

    /// <summary>A code-valued input, sent as valueCode or (by many clients) valueString.</summary>
    static string? CodeValue(Parameters input, string name) =>
        input.GetSingleValue<Code>(name)?.Value ?? input.GetSingleValue<FhirString>(name)?.Value;

    /// <summary>
    /// Clients often post an empty Parameters to an operation without inputs; the strict parser rejects an element-less
    /// resource, so that one body counts as no parameters. The body is buffered so that any other can still be parsed.
    /// </summary>
    static async Task<bool> IsEmptyParametersAsync(HttpRequest http, CancellationToken ct)
    {
        if (http.ContentLength is not (> 0 and <= 256)) return false; // anything longer is parsed (and size-checked) as usual
        http.EnableBuffering();
        using var reader = new StreamReader(http.Body, Encoding.UTF8, leaveOpen: true);
        var body = await reader.ReadToEndAsync(ct);
        http.Body.Position = 0;
        var compact = string.Concat(body.Where(c => !char.IsWhiteSpace(c)));
        return compact is "" or "{\"resourceType\":\"Parameters\"}" or "<Parametersxmlns=\"http://hl7.org/fhir\"/>";
    }

    static async Task<IResult> CodeInlineAsync(HttpRequest http, IServiceProvider services, IOptions<FhirOptions> fhir, CancellationToken ct)
    {
        if (await FhirSerialization.ReadResourceAsync(http, fhir.Value.MaxBodyBytes, ct) is not Parameters input)
            throw FhirException.BadRequest("$code takes a Parameters resource with 'text' (string) or 'attachment', and optionally 'setting' (inpatient|outpatient), 'date', 'language' (en|es), 'system' (repeatable: the code systems to code with) and 'valueSet' (the codes the answer may hold).");
        var text = input.GetSingleValue<FhirString>("text")?.Value;
        if (text is null && input.GetSingleValue<Attachment>("attachment") is { Data: { } data } attachment)
        {
            var decoded = Intake.NoteTextReader.Decode(data, attachment.ContentType);
            text = decoded.Text ?? throw new FhirException(StatusCodes.Status422UnprocessableEntity, Outcomes.Error(OperationOutcome.IssueType.NotSupported, decoded.Error!));
        }
        if (string.IsNullOrWhiteSpace(text)) throw FhirException.BadRequest("$code needs a 'text' or 'attachment' parameter with the note.");
        var inpatient = CodeValue(input, "setting") == "inpatient";
        var date = input.GetSingleValue<Date>("date")?.Value is { } d && DateOnly.TryParse(d, out var parsed) ? parsed : DateOnly.FromDateTime(DateTime.UtcNow);
        var agents = services.GetRequiredService<AgentCoding>();
        var mode = agents.ModeFor(CodeValue(input, "mode"));
        var serverDefault = services.GetRequiredService<IOptions<CodingLanguageOptions>>().Value.Default;
        Language language;
        try { language = NoteLanguage.Decide(serverDefault, (CodeValue(input, "language"), "the 'language' parameter"), (input.GetSingleValue<Attachment>("attachment")?.Language, "the 'attachment' parameter's language")); }
        catch (CodingFailure unsupported) { throw new FhirException(StatusCodes.Status422UnprocessableEntity, Outcomes.Error(OperationOutcome.IssueType.NotSupported, unsupported.Message)); }

        var systems = UriValues(input, "system");
        var valueSet = UriValues(input, "valueSet") switch
        {
            [] => null,
            [var one] => one,
            _ => throw FhirException.BadRequest("$code takes at most one 'valueSet'."),
        };
        var configured = services.GetRequiredService<CoderCatalog>().Configured;
        var terminology = new CodingTerminology(systems.Count > 0 ? systems : configured.Systems, valueSet ?? configured.ValueSet);

        if (!WantsAsync(http))
        {
            var (coder, versions, allowed) = await TerminologyForAsync(services, terminology, date, ct);
            var options = new CodingOptions
            {
                Setting = inpatient ? CareSetting.Inpatient : CareSetting.Outpatient, Language = language, AllowedCodes = allowed,
                StatusCodes = services.GetRequiredService<CoderCatalog>().StatusCodes,
            };
            var (result, _, run) = await agents.CodeAsync(coder, text, options, mode, ct);
            var answer = CodingParameters.Build(result, versions, [], language);
            AgentCoding.Describe(answer, run);
            return FhirResult.Of(StatusCodes.Status200OK, answer);
        }

        // Asynchronous: the text is kept as a Binary and coded by the jobs like any note. A system or ValueSet it names is
        // checked now, so that one the server does not hold is refused here rather than on the Task; the default ICD
        // terminology needs no check, and an api process builds no coder for it.
        if (systems.Count > 0 || valueSet is not null) await TerminologyForAsync(services, terminology, date, ct);
        var binary = new Binary
        {
            ContentType = "text/plain",
            Language = language.ToCode(),
            Data = Encoding.UTF8.GetBytes(text),
            Meta = new Meta { Tag = [new Hl7.Fhir.Model.Coding("https://symphony-fhir.dev/CodeSystem/care-setting", inpatient ? "inpatient" : "outpatient"), new Hl7.Fhir.Model.Coding(ServiceDateTag, date.ToString("yyyy-MM-dd")), AgentCoding.TagFor(mode)] },
        };
        binary.Meta.Tag.AddRange(systems.Select(system => new Hl7.Fhir.Model.Coding(SystemTag, system)));
        if (valueSet is not null) binary.Meta.Tag.Add(new Hl7.Fhir.Model.Coding(ValueSetTag, valueSet));
        // Whose it is: only that client may ask for its result or cancel it.
        if (ScopePolicy.ClientOf(http.HttpContext.User) is { } client)
            binary.Meta.Tag.Add(new Hl7.Fhir.Model.Coding(RequestedByTag, client));
        var store = services.GetRequiredService<IResourceStore>();
        var write = ResourceWrite.Create(binary);
        await store.WriteAsync([write], (tx, c) => CodingRequests.RecordAsync(tx, "Binary", write.Id, 1, c), ct);
        services.GetRequiredService<CodingSignal>().RequestDrain();
        return Accepted(http, CodingRequests.IdFor("Binary", write.Id));
    }

    static async Task<IResult> AnswerAsync(string requestId, HttpRequest http, IServiceProvider services, CancellationToken ct)
    {
        var requests = services.GetRequiredService<CodingRequests>();
        if (WantsAsync(http))
        {
            services.GetRequiredService<CodingSignal>().RequestDrain();
            return Accepted(http, requestId);
        }

        // Synchronous: code it here unless a worker already has it, then wait for the outcome.
        var deadline = DateTime.UtcNow + SynchronousLimit;
        while (true)
        {
            foreach (var claimed in await requests.ClaimAsync(1, ct, onlyId: requestId))
                await services.GetRequiredService<CodingPipeline>().ProcessAsync(claimed, ct);
            var request = await requests.GetAsync(requestId, ct) ?? throw FhirException.NotFound($"No coding request {requestId}.");
            if (request.Status == CodingRequestStatus.Pending && request.FocusType == "Encounter") continue;
            if (request.Status == CodingRequestStatus.Done && request.FocusType == "Encounter")
                return await EncounterAnswerAsync(request, http, services, ct);
            if (request.Status == CodingRequestStatus.Waiting) return Accepted(http, requestId, WaitingOutcome(request)); // nothing to wait for here
            if (request.Status is not (CodingRequestStatus.Pending or CodingRequestStatus.Running)) return Outcome(request);
            if (DateTime.UtcNow > deadline) return Accepted(http, requestId);
            await System.Threading.Tasks.Task.Delay(100, ct);
        }
    }

    /// <summary>An encounter's $code answers with each of its notes' results, coding any still pending here.</summary>
    static async Task<IResult> EncounterAnswerAsync(CodingRequest request, HttpRequest http, IServiceProvider services, CancellationToken ct)
    {
        var notes = new FhirJsonDeserializer().Deserialize<Parameters>(request.Result!).Parameter
            .Select(p => ((ResourceReference)p.Value!).Reference!.Split('/')[1]).ToList();
        var answer = new Parameters();
        foreach (var noteId in notes)
        {
            var result = await AnswerAsync(CodingRequests.IdFor("DocumentReference", noteId), http, services, ct);
            var part = new Parameters.ParameterComponent { Name = "note", Part = [new() { Name = "document", Value = new ResourceReference($"DocumentReference/{noteId}") }] };
            var noteRequest = await services.GetRequiredService<CodingRequests>().GetAsync(CodingRequests.IdFor("DocumentReference", noteId), ct);
            if (noteRequest?.Status == CodingRequestStatus.Done)
                part.Part.AddRange(new FhirJsonDeserializer().Deserialize<Parameters>(noteRequest.Result!).Parameter);
            else
                part.Part.Add(new() { Name = "error", Value = new FhirString(noteRequest?.Error ?? noteRequest?.Status ?? "unknown") });
            answer.Parameter.Add(part);
        }
        return FhirResult.Of(StatusCodes.Status200OK, answer);
    }

    static async Task<IResult> StatusAsync(string id, HttpRequest http, CodingRequests requests, CancellationToken ct)
    {
        var request = await requests.GetAsync(id, ct) ?? throw FhirException.NotFound($"No coding request {id}.");
        await DemandOwnAsync(request, http, ct);
        if (request.Status is CodingRequestStatus.Pending or CodingRequestStatus.Running)
            return new WithHeaders(FhirResult.Of(StatusCodes.Status202Accepted, null), ("X-Progress", request.Status), ("Retry-After", "1"));
        if (request.Status == CodingRequestStatus.Waiting)
            return new WithHeaders(FhirResult.Of(StatusCodes.Status202Accepted, WaitingOutcome(request)), ("X-Progress", $"waiting for Encounter/{request.WaitingFor}"));
        return Outcome(request);
    }

    static async Task<IResult> CancelAsync(string id, HttpRequest http, CodingRequests requests, CancellationToken ct)
    {
        await DemandOwnAsync(await requests.GetAsync(id, ct) ?? throw FhirException.NotFound($"No coding request {id}."), http, ct);
        if (await requests.CancelAsync(id, ct)) return FhirResult.Of(StatusCodes.Status202Accepted, null);
        var request = await requests.GetAsync(id, ct) ?? throw FhirException.NotFound($"No coding request {id}.");
        return FhirResult.Outcome(StatusCodes.Status409Conflict, Outcomes.Error(OperationOutcome.IssueType.Conflict, $"The coding request is already {request.Status}."));
    }

    /// <summary>
    /// Text sent inline is the client's own: only the client that sent it sees or cancels its coding. A stored note's or
    /// encounter's coding is anyone's who may read that resource.
    /// </summary>
    static async System.Threading.Tasks.Task DemandOwnAsync(CodingRequest request, HttpRequest http, CancellationToken ct)
    {
        var scopes = http.HttpContext.RequestServices.GetRequiredService<ScopePolicy>();
        if (scopes.ChecksNothing)
            return;
        if (request.FocusType != "Binary")
        {
            scopes.Demand(http.HttpContext, request.FocusType, SmartPermission.Read);
            return;
        }
        var stored = await http.HttpContext.RequestServices.GetRequiredService<IResourceStore>().ReadAsync("Binary", request.FocusId, ct);
        var owner = stored?.Json is { } json ? FhirSerialization.ParseStored(json).Meta?.Tag.FirstOrDefault(t => t.System == RequestedByTag)?.Code : null;
        if (owner is null || owner != ScopePolicy.ClientOf(http.HttpContext.User))
        {
            throw new FhirException(StatusCodes.Status403Forbidden, Outcomes.Error(OperationOutcome.IssueType.Forbidden,
                "Only the client that sent this $code request may see or cancel it."));
        }
    }

    static IResult Outcome(CodingRequest request) => request.Status switch
    {
        CodingRequestStatus.Done => FhirResult.Of(StatusCodes.Status200OK, new FhirJsonDeserializer().Deserialize<Parameters>(request.Result!)),
        CodingRequestStatus.Cancelled => FhirResult.Outcome(StatusCodes.Status404NotFound, Outcomes.Error(OperationOutcome.IssueType.NotFound, "The coding request was cancelled.")),
        _ => FhirResult.Outcome(StatusCodes.Status422UnprocessableEntity, Outcomes.Error(OperationOutcome.IssueType.Processing, request.Error ?? "Coding failed.")),
    };

    /// <summary>A note waiting for its Encounter is neither coded nor failed: it is coded when the Encounter is stored.</summary>
    static OperationOutcome WaitingOutcome(CodingRequest request) =>
        Outcomes.Single(OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.NotFound,
            $"{CodingPipeline.WaitingReason(request.WaitingFor!)} Its Task (Task?focus={request.FocusReference}) is on-hold until then.",
            "DocumentReference.context.encounter");

    static IResult Accepted(HttpRequest http, string requestId, OperationOutcome? outcome = null) =>
        new WithHeaders(FhirResult.Of(StatusCodes.Status202Accepted, outcome),
            ("Content-Location", $"{ResultBundles.BaseUrl(http)}{StatusRoute.Replace("{id}", requestId)}"));

    static bool WantsAsync(HttpRequest http) =>
        http.Headers[KnownHeaders.Prefer].Any(v => v?.Contains("respond-async", StringComparison.OrdinalIgnoreCase) == true);

    sealed class WithHeaders(IResult inner, params (string Name, string Value)[] headers) : IResult
    {
        public System.Threading.Tasks.Task ExecuteAsync(HttpContext context)
        {
            foreach (var (name, value) in headers) context.Response.Headers[name] = value;
            return inner.ExecuteAsync(context);
        }
    }
}
