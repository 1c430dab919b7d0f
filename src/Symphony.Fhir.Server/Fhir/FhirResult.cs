using System.Globalization;
using Hl7.Fhir.Model;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>
/// A FHIR answer in the format the client asked for. A stored resource goes out as stored when plain JSON
/// is wanted (no parse, no re-serialisation); otherwise it is converted with the Firely serializers.
/// </summary>
public sealed class FhirResult : IResult
{
    private readonly int _statusCode;
    private readonly Resource? _resource;
    private readonly string? _storedJson;
    private readonly StoredResource? _version;

    private FhirResult(int statusCode, Resource? resource, string? storedJson, StoredResource? version)
    {
        _statusCode = statusCode;
        _resource = resource;
        _storedJson = storedJson;
        _version = version;
    }

    private string? Location { get; init; }

    public static FhirResult Of(int statusCode, Resource? resource) => new(statusCode, resource, null, null);

    public static FhirResult Outcome(int statusCode, OperationOutcome outcome) => new(statusCode, outcome, null, null);

    /// <summary>A stored version with ETag and Last-Modified; body as stored, or the given resource, or none.</summary>
    public static FhirResult Stored(
        int statusCode, StoredResource version, Resource? resource = null, bool withBody = true, string? location = null) =>
        new(statusCode, withBody ? resource : null, withBody && resource is null ? version.Json : null, version) { Location = location };

    public async System.Threading.Tasks.Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = _statusCode;
        if (_version is not null)
        {
            response.Headers[KnownHeaders.ETag] = $"W/\"{_version.VersionId}\"";
            response.Headers[KnownHeaders.LastModified] = _version.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
        }
        if (Location is not null)
            response.Headers[KnownHeaders.Location] = Location;
        if (_resource is null && _storedJson is null)
            return;

        var format = FhirSerialization.ResponseFormat(context.Request);
        var pretty = FhirSerialization.IsPretty(context.Request);
        response.ContentType = FhirSerialization.ContentType(format);
        var body = _storedJson is not null && format == FhirFormat.Json && !pretty
            ? _storedJson
            : FhirSerialization.Serialize(_resource ?? FhirSerialization.ParseStored(_storedJson!), format, pretty);
        await response.WriteAsync(body, context.RequestAborted);
    }
}
