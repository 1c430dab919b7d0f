extern alias coder;
using coder::Symphony.Coding;
using Hl7.Fhir.Model;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>The $code answer: each code with display, confidence, status, rules and evidence spans; the rejected candidates with the reason; what was written.</summary>
public static class CodingParameters
{
    public static Parameters Build(CodingResult result, CodeSystemVersions versions, IReadOnlyList<string> written)
    {
        var parameters = new Parameters();
        foreach (var code in result.Codes)
        {
            var parts = new List<Parameters.ParameterComponent>
            {
                Part("code", new Hl7.Fhir.Model.Coding(code.System, code.Code, code.Display) { Version = versions.For(code.System) }),
                Part("confidence", new FhirDecimal((decimal)Math.Round(code.Confidence, 3))),
                Part("status", new Code(code.Status.ToString().ToLowerInvariant())),
            };
            parts.AddRange(code.Rules.Select(rule => Part("rule", new FhirString(rule))));
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
        return parameters;
    }

    static Parameters.ParameterComponent Span(coder::Symphony.Coding.EvidenceSpan span) => new()
    {
        Name = "span",
        Part = [Part("offset", new Integer(span.Start)), Part("length", new Integer(span.Length)), Part("text", new FhirString(span.Text))],
    };

    static Parameters.ParameterComponent Part(string name, DataType value) => new() { Name = name, Value = value };
}
