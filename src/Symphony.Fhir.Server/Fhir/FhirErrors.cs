using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>
/// Every error answer is an OperationOutcome: thrown errors, unknown routes, wrong methods, crashes, and requests over
/// the URL and header limits. Only what Kestrel refuses before the application runs has no body (see <see cref="RequestLimits"/>).
/// </summary>
public static class FhirErrors
{
    public static WebApplication UseFhirErrors(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FhirErrors));
        var options = app.Services.GetRequiredService<IOptions<FhirOptions>>().Value;
        app.Use(async (context, next) =>
        {
            try
            {
                RequestLimits.Check(context, options);
                if (context.Request.Query.ContainsKey(KnownParameters.Format) && !Review.SiteLexiconApi.OwnsFormat(context.Request)
                    && FhirSerialization.ParseFormat(context.Request.Query[KnownParameters.Format]) is null)
                {
                    throw new FhirException(StatusCodes.Status406NotAcceptable, Outcomes.Error(
                        OperationOutcome.IssueType.NotSupported,
                        $"_format '{context.Request.Query[KnownParameters.Format]}' is not supported; use json or xml."));
                }
                await next(context);
            }
            catch (Exception exception) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                var (status, outcome) = exception switch
                {
                    FhirException fhir => (fhir.StatusCode, fhir.Outcome),
                    VersionConflictException conflict => (StatusCodes.Status412PreconditionFailed,
                        Outcomes.Error(OperationOutcome.IssueType.Conflict, conflict.Message)),
                    // Kestrel's: a body over its limit (one not read through CopyBodyAsync, e.g. a form), or arriving too slowly.
                    BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge,
                        FhirSerialization.TooLarge(options.MaxBodyBytes, FhirOptions.Name(nameof(FhirOptions.MaxBodyBytes))).Outcome),
                    BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } timeout => (timeout.StatusCode,
                        Outcomes.Error(OperationOutcome.IssueType.Timeout, timeout.Message)),
                    BadHttpRequestException badRequest => (badRequest.StatusCode,
                        Outcomes.Error(OperationOutcome.IssueType.Invalid, badRequest.Message)),
                    _ when IsTransient(exception) => (StatusCodes.Status503ServiceUnavailable,
                        Outcomes.Error(OperationOutcome.IssueType.Transient,
                            $"The database is busy or unreachable ({exception.GetType().Name}). Retry the request (trace {context.TraceIdentifier}).")),
                    _ => (StatusCodes.Status500InternalServerError,
                        Outcomes.Error(OperationOutcome.IssueType.Exception,
                            $"The server failed to process the request ({exception.GetType().Name}); the error is logged under trace {context.TraceIdentifier}.")),
                };
                if (status >= 500)
                    logger.LogError(exception, "Error for {Method} {Path} (trace {Trace})", context.Request.Method, context.Request.Path, context.TraceIdentifier);
                context.Response.Clear();
                if (status == StatusCodes.Status503ServiceUnavailable)
                    context.Response.Headers.RetryAfter = "1";
                await FhirResult.Outcome(status, outcome).ExecuteAsync(context);
            }
        });
        // Errors produced without a body (404 for an unknown route, 405 for a wrong method) get an OperationOutcome too.
        app.UseStatusCodePages(async statusContext =>
        {
            var context = statusContext.HttpContext;
            var status = context.Response.StatusCode;
            var (code, message) = status switch
            {
                StatusCodes.Status404NotFound => (OperationOutcome.IssueType.NotFound,
                    $"No FHIR interaction at {context.Request.Method} {context.Request.Path}."),
                StatusCodes.Status405MethodNotAllowed => (OperationOutcome.IssueType.NotSupported,
                    $"{context.Request.Method} is not supported at {context.Request.Path}."),
                _ => (OperationOutcome.IssueType.Processing, ReasonPhrases.GetReasonPhrase(status)),
            };
            await FhirResult.Outcome(status, Outcomes.Error(code, message)).ExecuteAsync(context);
        });
        return app;
    }

    /// <summary>
    /// Failures a client can retry unchanged: lost or refused connections, deadlocks, serialization failures, too many
    /// clients, a locked SQLite file. The store writes in one transaction, so none of them leaves a half-written resource.
    /// </summary>
    static bool IsTransient(Exception exception) => exception switch
    {
        Npgsql.PostgresException pg => pg.IsTransient || pg.SqlState is "40001" or "40P01" or "53300" or "57P01" or "57P03",
        Npgsql.NpgsqlException npgsql => npgsql.IsTransient,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6, // SQLITE_BUSY, SQLITE_LOCKED
        TimeoutException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
