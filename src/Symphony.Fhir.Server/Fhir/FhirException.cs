using Hl7.Fhir.Model;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>An error answer: the HTTP status and the OperationOutcome that explains it.</summary>
public sealed class FhirException(int statusCode, OperationOutcome outcome)
    : Exception(string.Join("; ", outcome.Issue.Select(issue => issue.Diagnostics ?? issue.Details?.Text)))
{
    public int StatusCode { get; } = statusCode;

    public OperationOutcome Outcome { get; } = outcome;

    public static FhirException BadRequest(string message, string? expression = null) =>
        new(StatusCodes.Status400BadRequest, Outcomes.Error(OperationOutcome.IssueType.Invalid, message, expression));

    public static FhirException NotFound(string message) =>
        new(StatusCodes.Status404NotFound, Outcomes.Error(OperationOutcome.IssueType.NotFound, message));
}

public static class Outcomes
{
    public static OperationOutcome Error(OperationOutcome.IssueType code, string message, string? expression = null) =>
        Single(OperationOutcome.IssueSeverity.Error, code, message, expression);

    public static OperationOutcome Information(string message) =>
        Single(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, message, null);

    public static OperationOutcome Single(
        OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string message, string? expression)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = message };
        if (expression is not null)
            issue.Expression = [expression];
        return new OperationOutcome { Issue = [issue] };
    }
}
