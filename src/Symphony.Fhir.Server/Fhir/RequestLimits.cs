using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http.Features;
using Symphony.Fhir.Server.Resources;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>
/// The URL and header limits, checked by the application so that a request over them gets a 414 or 431 with an
/// OperationOutcome. Kestrel's own limits are set above these (<see cref="FhirOptions.KestrelHeadroom"/>): beyond them
/// Kestrel answers before the application runs, with an empty body, and that cannot be changed.
/// </summary>
public static class RequestLimits
{
    /// <summary>Kestrel's default; more headers than this get 431.</summary>
    public const int MaxHeaderCount = 100;

    public static void Check(HttpContext context, FhirOptions options)
    {
        // The target as sent (path and query, still percent-encoded); the test server has none, so rebuilt from the parts.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw.Length
            : context.Request.Path.ToUriComponent().Length + (context.Request.QueryString.Value?.Length ?? 0);
        if (target > options.MaxUrlBytes)
        {
            throw new FhirException(StatusCodes.Status414UriTooLong, Outcomes.Error(OperationOutcome.IssueType.TooLong,
                $"The URL is {target} bytes long; the limit is {options.MaxUrlBytes} ({FhirOptions.Name(nameof(FhirOptions.MaxUrlBytes))}). " +
                "Send a long search as POST [type]/_search with the parameters in a form body."));
        }
        var headers = context.Request.Headers;
        // As HTTP/1.1 sends them: "name: value" and a line break, for each value.
        var headerBytes = headers.Sum(header => header.Value.Sum(value => header.Key.Length + 4 + (value?.Length ?? 0)));
        if (headers.Count > MaxHeaderCount || headerBytes > options.MaxHeaderBytes)
        {
            throw new FhirException(StatusCodes.Status431RequestHeaderFieldsTooLarge, Outcomes.Error(OperationOutcome.IssueType.TooLong,
                $"The request has {headers.Count} headers of {headerBytes} bytes in all; the limits are {MaxHeaderCount} headers and " +
                $"{options.MaxHeaderBytes} bytes ({FhirOptions.Name(nameof(FhirOptions.MaxHeaderBytes))})."));
        }
    }
}
