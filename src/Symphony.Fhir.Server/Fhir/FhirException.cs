using Hl7.Fhir.Model;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>An error answer: the HTTP status and the OperationOutcome that explains it.</summary>
public sealed class FhirException(int statusCode, OperationOutcome outcome) : Exception
{
    public int StatusCode { get; } = statusCode;

    public OperationOutcome Outcome { get; } = Outcomes.Bounded(outcome);

    public override string Message => string.Join("; ", Outcome.Issue.Select(issue => issue.Diagnostics ?? issue.Details?.Text));

    public static FhirException BadRequest(string message, string? expression = null) =>
        new(StatusCodes.Status400BadRequest, Outcomes.Error(OperationOutcome.IssueType.Invalid, message, expression));

    public static FhirException NotFound(string message) =>
        new(StatusCodes.Status404NotFound, Outcomes.Error(OperationOutcome.IssueType.NotFound, message));
}

public static class Outcomes
{
    /// <summary>Issues an error answer lists at most; a resource can break a rule in every one of its elements.</summary>
    public const int MaxIssues = 100;

    /// <summary>Characters a diagnostics text keeps at most; parsers quote the value they could not read, however long.</summary>
    public const int MaxDiagnosticsLength = 1000;

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

    /// <summary>The outcome cut to <see cref="MaxIssues"/> issues of at most <see cref="MaxDiagnosticsLength"/> characters, so that an error answer does not grow with the request.</summary>
    public static OperationOutcome Bounded(OperationOutcome outcome)
    {
        if (outcome.Issue.Count > MaxIssues)
        {
            var left = outcome.Issue.Count - MaxIssues;
            outcome.Issue = [.. outcome.Issue.Take(MaxIssues), Information($"{left} more issues are not listed.").Issue[0]];
        }
        foreach (var issue in outcome.Issue)
            issue.Diagnostics = issue.Diagnostics is { } text ? Shorten(text) : null;
        return outcome;
    }

    /// <summary>
    /// A message that may quote a client's value, however long: its beginning and its end (where parsers say what is
    /// wrong and where), with what is left out counted.
    /// </summary>
    public static string Shorten(string text)
    {
        if (text.Length <= MaxDiagnosticsLength)
            return text;
        const int tail = MaxDiagnosticsLength / 4;
        var head = MaxDiagnosticsLength - tail;
        // Not between the two halves of a surrogate pair.
        if (char.IsHighSurrogate(text[head - 1]))
            head--;
        var start = text.Length - tail;
        if (char.IsLowSurrogate(text[start]))
            start++;
        return $"{text[..head]} … [{start - head} characters left out] … {text[start..]}";
    }
}
