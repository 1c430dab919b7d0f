using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using Symphony.Fhir.Server.Storage;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>Every error answer is an OperationOutcome: thrown errors, unknown routes, wrong methods and crashes.</summary>
public static class FhirErrors
{
    public static WebApplication UseFhirErrors(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FhirErrors));
        app.Use(async (context, next) =>
        {
            try
            {
                if (context.Request.Query.ContainsKey(KnownParameters.Format)
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
                    BadHttpRequestException badRequest => (badRequest.StatusCode,
                        Outcomes.Error(OperationOutcome.IssueType.Invalid, badRequest.Message)),
                    _ => (StatusCodes.Status500InternalServerError,
                        Outcomes.Error(OperationOutcome.IssueType.Exception, "The server failed to process the request.")),
                };
                if (status >= 500)
                    logger.LogError(exception, "Unhandled error for {Method} {Path}", context.Request.Method, context.Request.Path);
                context.Response.Clear();
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
}
