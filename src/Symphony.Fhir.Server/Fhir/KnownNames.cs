namespace Symphony.Fhir.Server.Fhir;

/// <summary>Route templates of the FHIR REST API.</summary>
public static class KnownRoutes
{
    public const string System = "/";
    public const string Metadata = "/metadata";
    public const string SystemHistory = "/_history";
    public const string Type = "/{type}";
    public const string TypeSearch = "/{type}/_search";
    public const string TypeHistory = "/{type}/_history";
    public const string Instance = "/{type}/{id}";
    public const string InstanceHistory = "/{type}/{id}/_history";
    public const string InstanceVersion = "/{type}/{id}/_history/{versionId}";
}

public static class KnownHeaders
{
    public const string IfMatch = "If-Match";
    public const string IfNoneExist = "If-None-Exist";
    public const string Prefer = "Prefer";
    public const string ETag = "ETag";
    public const string Location = "Location";
    public const string LastModified = "Last-Modified";
}

public static class KnownMediaTypes
{
    public const string FhirJson = "application/fhir+json";
    public const string FhirXml = "application/fhir+xml";
    public const string Json = "application/json";
    public const string Xml = "application/xml";
    public const string TextXml = "text/xml";
    public const string FormUrlEncoded = "application/x-www-form-urlencoded";
}

/// <summary>Query parameters that control the result rather than filter it.</summary>
public static class KnownParameters
{
    public const string Format = "_format";
    public const string Pretty = "_pretty";
    public const string Count = "_count";
    public const string Offset = "_offset";
    public const string Sort = "_sort";
    public const string Include = "_include";
    public const string Since = "_since";
    public const string Id = "_id";
    public const string LastUpdated = "_lastUpdated";
}
