using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Net.Http.Headers;

namespace Symphony.Fhir.Server.Fhir;

public enum FhirFormat { Json, Xml }

/// <summary>FHIR JSON and XML in and out of HTTP messages, with the Firely serializers.</summary>
public static partial class FhirSerialization
{
    private static readonly FhirJsonSerializer JsonSerializer = new();
    private static readonly FhirXmlSerializer XmlSerializer = new();
    private static readonly FhirJsonDeserializer JsonDeserializer = new();
    private static readonly FhirXmlDeserializer XmlDeserializer = new();

    /// <summary>json / xml / a FHIR, plain or text media type (parameters such as charset ignored); null if neither.</summary>
    public static FhirFormat? ParseFormat(string? mediaType)
    {
        if (string.IsNullOrWhiteSpace(mediaType))
            return null;
        var type = mediaType.Split(';')[0].Trim().ToLowerInvariant();
        return type switch
        {
            "json" or KnownMediaTypes.FhirJson or KnownMediaTypes.Json => FhirFormat.Json,
            "xml" or KnownMediaTypes.FhirXml or KnownMediaTypes.Xml or KnownMediaTypes.TextXml => FhirFormat.Xml,
            _ => null,
        };
    }

    /// <summary>_format wins over Accept; JSON unless XML is asked for.</summary>
    public static FhirFormat ResponseFormat(HttpRequest request)
    {
        if (ParseFormat(request.Query[KnownParameters.Format]) is { } format)
            return format;
        var accept = request.GetTypedHeaders().Accept;
        var best = accept
            .OrderByDescending(value => value.Quality ?? 1)
            .Select(value => ParseFormat(value.MediaType.Value))
            .FirstOrDefault(value => value is not null);
        return best ?? FhirFormat.Json;
    }

    public static bool IsPretty(HttpRequest request) =>
        string.Equals(request.Query[KnownParameters.Pretty], "true", StringComparison.OrdinalIgnoreCase);

    public static string ContentType(FhirFormat format) =>
        (format == FhirFormat.Json ? KnownMediaTypes.FhirJson : KnownMediaTypes.FhirXml) + "; charset=utf-8";

    public static string Serialize(Resource resource, FhirFormat format, bool pretty = false) =>
        format == FhirFormat.Json
            ? JsonSerializer.SerializeToString(resource, pretty)
            : XmlSerializer.SerializeToString(resource, pretty);

    /// <summary>Parses a resource stored by this server (known to be valid).</summary>
    public static Resource ParseStored(string json) => JsonDeserializer.DeserializeResource(json);

    /// <summary>Parses a client's resource; anything unreadable becomes a 400 OperationOutcome.</summary>
    public static Resource Parse(string text, FhirFormat format)
    {
        Resource? resource;
        IEnumerable<Hl7.Fhir.Utility.CodedException> issues;
        try
        {
            var parsed = format == FhirFormat.Json
                ? JsonDeserializer.TryDeserializeResource(text, out resource, out issues)
                : XmlDeserializer.TryDeserializeResource(text, out resource, out issues);
            if (parsed && resource is not null)
                return resource;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw FhirException.BadRequest($"The body is not a readable FHIR {format} resource: {exception.Message}");
        }
        var outcome = new OperationOutcome();
        foreach (var issue in issues.DefaultIfEmpty())
        {
            var message = issue?.Message ?? $"The body is not a FHIR {format} resource.";
            var component = new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = OperationOutcome.IssueType.Structure,
                Diagnostics = message,
            };
            if (LocationInMessage().Match(message) is { Success: true } location)
                component.Expression = [location.Groups[1].Value];
            outcome.Issue.Add(component);
        }
        throw new FhirException(StatusCodes.Status400BadRequest, outcome);
    }

    /// <summary>Reads and parses the request body: 415 for a media type that is not FHIR, 413 above the size limit, 400 if unreadable.</summary>
    public static async Task<Resource> ReadResourceAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        var format = ParseFormat(request.ContentType)
            ?? throw new FhirException(StatusCodes.Status415UnsupportedMediaType, Outcomes.Error(
                OperationOutcome.IssueType.NotSupported,
                $"Content-Type '{request.ContentType}' is not supported; send {KnownMediaTypes.FhirJson} or {KnownMediaTypes.FhirXml}."));
        if (request.ContentLength > maxBytes)
            throw TooLarge(maxBytes);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
            throw FhirException.BadRequest("The request body is empty.");
        return Parse(EncodingOf(request.ContentType).GetString(buffer.GetBuffer(), 0, (int)buffer.Length), format);
    }

    private static Encoding EncodingOf(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || mediaType.Charset.Length == 0)
            return Encoding.UTF8;
        try
        {
            return Encoding.GetEncoding(mediaType.Charset.ToString().Trim('"'));
        }
        catch (ArgumentException)
        {
            throw new FhirException(StatusCodes.Status415UnsupportedMediaType, Outcomes.Error(
                OperationOutcome.IssueType.NotSupported, $"charset '{mediaType.Charset}' is not supported; send UTF-8."));
        }
    }

    private static FhirException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, Outcomes.Error(
            OperationOutcome.IssueType.TooCostly, $"The request body is larger than the limit of {maxBytes} bytes."));

    [GeneratedRegex(@"At ([^,]+), line")]
    private static partial Regex LocationInMessage();
}
