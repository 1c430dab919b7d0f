using Symphony.Coders;
using Symphony.Coders.Text;
using Hl7.Fhir.Model;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>
/// The $code answer: each code, in the coder's ranking, with display, confidence and what it is made of ("basis"),
/// "principal" when it is the note's principal / first-listed diagnosis, status and the Condition statuses it is
/// written with, rules (names, and "ruleText" in words) and evidence spans; the rejected candidates with the reason;
/// what was written.
/// </summary>
public static class CodingParameters
{
    /// <param name="language">The language the note was read in, named in the answer ("language", a code) when given.</param>
    public static Parameters Build(CodingResult result, CodeSystemVersions versions, IReadOnlyList<string> written, Language? language = null)
    {
        var parameters = new Parameters();
        foreach (var code in result.Codes)
        {
            var parts = new List<Parameters.ParameterComponent>
            {
                Part("code", new Hl7.Fhir.Model.Coding(code.System, code.Code, code.Display) { Version = versions.For(code.System) }),
                Part("confidence", new FhirDecimal((decimal)Math.Round(code.Confidence, 3))),
                Part("status", new Code(code.Status.ToString().ToLowerInvariant())),
                Part("verificationStatus", ConditionStatuses.Verification(code)),
            };
            if (ConditionStatuses.Clinical(code) is { } clinical) parts.Add(Part("clinicalStatus", clinical));
            if (code.IsPrincipal) parts.Add(Part("principal", new FhirBoolean(true)));
            if (code.Basis is { } basis) parts.Add(Basis(basis));
            parts.AddRange(code.Rules.Select(rule => Part("rule", new FhirString(rule))));
            parts.AddRange(code.Rules.Select(rule => Part("ruleText", new FhirString(RuleWording.Describe(rule)))));
            parts.AddRange(code.Spans.Select(Span));
            parameters.Parameter.Add(new Parameters.ParameterComponent { Name = "code", Part = parts });
        }
        foreach (var rejected in result.Rejected)
        {
            var parts = new List<Parameters.ParameterComponent>
            {
                Part("code", new Hl7.Fhir.Model.Coding(rejected.System, rejected.Code, rejected.Display)),
                Part("reason", new FhirString(rejected.Reason)),
            };
            parts.AddRange(rejected.Spans.Select(Span));
            parameters.Parameter.Add(new Parameters.ParameterComponent { Name = "rejected", Part = parts });
        }
        foreach (var reference in written)
            parameters.Parameter.Add(new Parameters.ParameterComponent { Name = "written", Value = new ResourceReference(reference) });
        // E.g. "coded with ICD-10-CM 2024: no release for FY2027 is loaded".
        if (versions.Note is { } note) parameters.Parameter.Add(new Parameters.ParameterComponent { Name = "note", Value = new FhirString(note) });
        if (language is { } read) parameters.Parameter.Add(new Parameters.ParameterComponent { Name = "language", Value = new Code(read.ToCode()) });
        return parameters;
    }

    /// <summary>The codes of an answer made by <see cref="Build"/>, in its order (the coder's ranking).</summary>
    public static IReadOnlyList<AnsweredCode> Read(Parameters answer) =>
        answer.Parameter.Where(p => p.Name == "code").Select(p =>
        {
            var coding = (Hl7.Fhir.Model.Coding)p.Part.First(part => part.Name == "code").Value!;
            var confidence = ((FhirDecimal)p.Part.First(part => part.Name == "confidence").Value!).Value ?? 0m;
            var spans = p.Part.Where(part => part.Name == "span").Select(span => new Symphony.Coders.EvidenceSpan(
                ((Integer)span.Part.First(s => s.Name == "offset").Value!).Value!.Value,
                ((Integer)span.Part.First(s => s.Name == "length").Value!).Value!.Value,
                ((FhirString)span.Part.First(s => s.Name == "text").Value!).Value!)).ToList();
            var principal = p.Part.FirstOrDefault(part => part.Name == "principal")?.Value is FhirBoolean { Value: true };
            return new AnsweredCode(coding.System!, coding.Code!, coding.Display ?? coding.Code!, coding.Version, confidence, spans, principal);
        }).ToList();

    /// <summary>What the confidence is made of: match kind and weight, mentions, section, certainty, what weakened it, and why the code leads.</summary>
    static Parameters.ParameterComponent Basis(ConfidenceBasis basis)
    {
        var parts = new List<Parameters.ParameterComponent>
        {
            Part("match", new FhirString(basis.Match)),
            Part("matchWeight", new FhirDecimal((decimal)basis.MatchWeight)),
            Part("mentions", new Integer(basis.Mentions)),
            Part("section", new Code(basis.Section)),
            Part("certainty", new Code(basis.Certainty)),
        };
        parts.AddRange(basis.Weakened.Select(w => Part("weakened", new FhirString(w))));
        if (basis.Principal is { } why) parts.Add(Part("principal", new FhirString(why)));
        parts.Add(Part("text", new FhirString(basis.ToString())));
        return new Parameters.ParameterComponent { Name = "basis", Part = parts };
    }

    static Parameters.ParameterComponent Span(Symphony.Coders.EvidenceSpan span) => new()
    {
        Name = "span",
        Part = [Part("offset", new Integer(span.Start)), Part("length", new Integer(span.Length)), Part("text", new FhirString(span.Text))],
    };

    static Parameters.ParameterComponent Part(string name, DataType value) => new() { Name = name, Value = value };
}
