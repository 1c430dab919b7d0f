using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;
using Symphony.Coders.Text;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>The language a note is coded in when it does not say (section "Coding"), checked at start.</summary>
public sealed class CodingLanguageOptions
{
    public const string Setting = "Coding:DefaultLanguage";

    /// <summary>A BCP 47 tag whose primary subtag the coder reads ("en", "es", "es-ES").</summary>
    public string DefaultLanguage { get; set; } = "en";

    public Language Default => NoteLanguage.TryParse(DefaultLanguage, out var language)
        ? language
        : throw new InvalidOperationException(Problem());

    /// <summary>Why the default cannot be used, or null if it can.</summary>
    public string? Problem() => NoteLanguage.TryParse(DefaultLanguage, out _)
        ? null
        : $"{Setting} '{DefaultLanguage}' is not a language the coder reads; supported: {NoteLanguage.SupportedCodes}.";
}

/// <summary>The server does not start with a default language the coder cannot read; the message names the setting.</summary>
public sealed class CodingLanguageOptionsValidation : IValidateOptions<CodingLanguageOptions>
{
    public ValidateOptionsResult Validate(string? name, CodingLanguageOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}

/// <summary>
/// Which language a note is coded in: the request's own (inline $code), else the resource's <c>language</c>
/// (DocumentReference.language, or Binary.language for kept inline text), else the first attachment's
/// <c>language</c>, else the server's default. Tags are BCP 47; only the primary subtag counts ("es-MX" is Spanish).
/// </summary>
public static class NoteLanguage
{
    public static string SupportedCodes => string.Join(", ", Enum.GetValues<Language>().Select(l => l.ToCode()));

    /// <summary>The language of a BCP 47 tag by its primary subtag, case-insensitive; false for any other.</summary>
    public static bool TryParse(string? tag, out Language language)
    {
        var primary = tag?.Trim().Split('-', '_')[0];
        foreach (var candidate in Enum.GetValues<Language>())
        {
            if (string.Equals(candidate.ToCode(), primary, StringComparison.OrdinalIgnoreCase))
            {
                language = candidate;
                return true;
            }
        }
        language = default;
        return false;
    }

    /// <summary>A stored note's language (DocumentReference, or the Binary that keeps inline text).</summary>
    public static Language Of(Resource note, Language serverDefault) => Decide(serverDefault,
        (note.Language, $"{note.TypeName}.language"),
        ((note as DocumentReference)?.Content.FirstOrDefault()?.Attachment?.Language, $"{note.TypeName}.content[0].attachment.language"));

    /// <summary>
    /// The first tag given, in order of precedence, else the server's default; <see cref="CodingFailure"/> naming
    /// where the tag came from when the coder does not read it.
    /// </summary>
    public static Language Decide(Language serverDefault, params (string? Tag, string Source)[] candidates)
    {
        foreach (var (tag, source) in candidates)
        {
            if (string.IsNullOrWhiteSpace(tag)) continue;
            return TryParse(tag, out var language) ? language : throw new CodingFailure(Unsupported(tag, source, serverDefault));
        }
        return serverDefault;
    }

    /// <summary>The message of a request in a language the coder does not read.</summary>
    public static string Unsupported(string tag, string source, Language serverDefault) =>
        $"language '{tag}' is not supported; supported: {SupportedCodes}; set {source} to one of these, " +
        $"or leave it out to use the server's default ({serverDefault.ToCode()}).";
}
