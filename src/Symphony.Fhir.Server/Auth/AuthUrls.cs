namespace Symphony.Fhir.Server.Auth;

/// <summary>The FHIR base URL that tokens are issued by and for: <c>Auth:BaseUrl</c>, else the URL the request came to.</summary>
public static class AuthUrls
{
    public static string BaseUrl(HttpRequest request, AuthOptions options) =>
        options.BaseUrl is { Length: > 0 } configured ? configured.TrimEnd('/') : Resources.ResultBundles.BaseUrl(request);

    /// <summary>The issuer the built-in server writes: its base URL, with or without the trailing slash (OpenIddict adds one).</summary>
    public static bool IsBuiltInIssuer(string? issuer, HttpRequest request, AuthOptions options) =>
        issuer is not null && issuer.TrimEnd('/') == BaseUrl(request, options);
}
