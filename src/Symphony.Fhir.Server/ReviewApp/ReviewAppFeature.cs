using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;
using Symphony.Fhir.Server.Fhir;

namespace Symphony.Fhir.Server.ReviewApp;

/// <summary>Where the built review app is: the folder <c>npm run build</c> of src/Symphony.ReviewApp writes (wwwroot/review).</summary>
public sealed record ReviewAppFiles(string Root)
{
    public bool Built => File.Exists(Path.Combine(Root, "index.html"));
}

/// <summary>
/// The coder's workbench (src/Symphony.ReviewApp), a SMART app served under /review/: its files are anonymous (the app
/// signs the user in itself and sends the user's token to the FHIR API like any other app), the hashed assets cached for
/// good, the pages never without asking again, and any other path under /review/ answered with index.html (the app routes).
/// </summary>
public static class ReviewAppFeature
{
    public const string BasePath = "/review";

    /// <summary>Files Vite names by their content hash: a changed file gets a new name, so these never go stale.</summary>
    const string ImmutableAssets = "assets/";

    static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static WebApplicationBuilder AddReviewApp(this WebApplicationBuilder builder)
    {
        var webRoot = builder.Environment.WebRootPath ?? Path.Combine(builder.Environment.ContentRootPath, "wwwroot");
        builder.Services.AddSingleton(new ReviewAppFiles(Path.Combine(webRoot, "review")));
        return builder;
    }

    public static WebApplication MapReviewApp(this WebApplication app)
    {
        var files = app.Services.GetRequiredService<ReviewAppFiles>();
        if (!files.Built)
            app.Logger.LogWarning("The review app is not built ({Root} has no index.html): /review/ answers 404. Build the server project with Node.js and npm installed, or run npm ci && npm run build in src/Symphony.ReviewApp.", files.Root);
        // Routing matches /review and /review/ alike: only the first is sent on to the app's address (relative asset paths need the slash).
        app.MapGet(BasePath, (HttpContext context) => context.Request.Path.Value!.EndsWith('/') ? Serve(files, "", context) : Results.Redirect($"{BasePath}/{context.Request.QueryString}"))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet($"{BasePath}/{{**path}}", (string? path, HttpContext context) => Serve(files, path ?? "", context)).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    static IResult Serve(ReviewAppFiles files, string path, HttpContext context)
    {
        if (!files.Built)
            throw FhirException.NotFound("The review app is not built on this server: build it with Node.js and npm installed (see the README).");
        // PhysicalFileProvider refuses paths that leave the root ("..", absolute paths) and hidden files.
        using var provider = new PhysicalFileProvider(files.Root);
        var file = path.Length == 0 ? null : provider.GetFileInfo(path);
        if (file is not { Exists: true, IsDirectory: false, PhysicalPath: not null })
        {
            // A path with an extension is a file the app asked for: missing is missing. Anything else is a route of the app.
            if (Path.HasExtension(path) && path.Length > 0)
                throw FhirException.NotFound($"{BasePath}/{path} is not a file of the review app.");
            file = provider.GetFileInfo("index.html");
        }
        var headers = context.Response.Headers;
        headers.CacheControl = path.StartsWith(ImmutableAssets, StringComparison.Ordinal) && file.Name != "index.html"
            ? "public, max-age=31536000, immutable"
            : "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; base-uri 'self'; object-src 'none'";
        var contentType = ContentTypes.TryGetContentType(file.Name, out var type) ? type : "application/octet-stream";
        var etag = new EntityTagHeaderValue($"\"{file.LastModified.UtcTicks:x}-{file.Length:x}\"");
        return Results.File(file.PhysicalPath!, contentType, lastModified: file.LastModified, entityTag: etag);
    }
}
