using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Symphony.Fhir.Server.Resources;

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

    /// <summary>
    /// Reads and parses the request body: 415 for a media type that is not FHIR or a charset that is not UTF-8,
    /// 413 above a limit, 400 if unreadable. The limits other than the size are the configured ones.
    /// </summary>
    public static Task<Resource> ReadResourceAsync(HttpRequest request, long maxBytes, CancellationToken ct) =>
        ReadResourceAsync(request, request.HttpContext.RequestServices.GetRequiredService<IOptions<FhirOptions>>().Value.BodyLimits with { MaxBytes = maxBytes }, ct);

    public static async Task<Resource> ReadResourceAsync(HttpRequest request, BodyLimits limits, CancellationToken ct)
    {
        var format = ParseFormat(request.ContentType)
            ?? throw new FhirException(StatusCodes.Status415UnsupportedMediaType, Outcomes.Error(
                OperationOutcome.IssueType.NotSupported,
                $"Content-Type '{request.ContentType}' is not supported; send {KnownMediaTypes.FhirJson} or {KnownMediaTypes.FhirXml}."));
        EnsureUtf8(request.ContentType);
        using var buffer = new MemoryStream();
        await CopyBodyAsync(request, buffer, limits.MaxBytes, limits.MaxBytesSetting, ct);
        if (buffer.Length == 0)
            throw FhirException.BadRequest("The request body is empty.");
        var body = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        var text = DecodeUtf8(body);
        // A byte order mark may precede the content and is no part of it.
        if (body.StartsWith(Utf8Bom))
        {
            body = body[Utf8Bom.Length..];
            text = text[1..];
        }
        var unread = BodyBudget.Check(body, text, format, limits);
        var resource = Parse(text, format);
        // Not expected (the parser reads as the budget does): a body whose limits could not be checked is not taken.
        return unread is null ? resource : throw FhirException.BadRequest($"The body is not a readable FHIR {format} resource: {unread}");
    }

    /// <summary>
    /// Copies the body to <paramref name="destination"/>, refused with 413 as soon as Content-Length or the bytes read
    /// pass <paramref name="maxBytes"/>. Kestrel's own body limit (<see cref="FhirOptions.MaxBodyBytes"/>, for bodies read
    /// elsewhere) is set to this one for the request; it may notice first (it reads chunked bodies ahead).
    /// </summary>
    public static async System.Threading.Tasks.Task CopyBodyAsync(HttpRequest request, Stream destination, long maxBytes, string setting, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
            throw TooLarge(maxBytes, setting);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } serverLimit)
            serverLimit.MaxRequestBodySize = maxBytes;
        var chunk = new byte[81920];
        long total = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                total += read;
                if (total > maxBytes)
                    throw TooLarge(maxBytes, setting);
                await destination.WriteAsync(chunk.AsMemory(0, read), ct);
            }
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes, setting);
        }
    }

    public static FhirException TooLarge(long maxBytes, string setting) =>
        new(StatusCodes.Status413PayloadTooLarge, Outcomes.Error(
            OperationOutcome.IssueType.TooCostly, $"The request body is larger than the limit of {maxBytes} bytes ({setting})."));

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>FHIR bodies are UTF-8: a charset parameter, if any, must say so.</summary>
    private static void EnsureUtf8(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || mediaType.Charset.Length == 0)
            return;
        var charset = mediaType.Charset.ToString().Trim('"');
        if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw new FhirException(StatusCodes.Status415UnsupportedMediaType, Outcomes.Error(
                OperationOutcome.IssueType.NotSupported, $"charset '{charset}' is not supported; FHIR bodies are UTF-8."));
        }
    }

    /// <summary>Strict UTF-8: a body with an invalid byte is refused rather than stored with replacement characters.</summary>
    private static string DecodeUtf8(ReadOnlySpan<byte> body)
    {
        if (System.Text.Unicode.Utf8.IsValid(body))
            return Encoding.UTF8.GetString(body);
        var offset = FirstInvalidByte(body);
        throw FhirException.BadRequest(
            $"The body is not valid UTF-8, which FHIR requires: byte 0x{body[offset]:X2} at offset {offset} (counting from 0) does not belong to a UTF-8 sequence.");
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[1024];
        var offset = 0;
        while (true)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes[offset..], chars, out var read, out _, replaceInvalidSequences: false);
            offset += read;
            if (status != System.Buffers.OperationStatus.DestinationTooSmall)
                return offset;
        }
    }

    [GeneratedRegex(@"At ([^,]+), line")]
    private static partial Regex LocationInMessage();
}
