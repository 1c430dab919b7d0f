using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Symphony.Fhir.Server.Intake;

/// <summary>The text of a note, or why it could not be read. Offsets of evidence spans index <see cref="Text"/>.</summary>
public sealed record NoteText(string? Text, string? Error)
{
    public static NoteText Ok(string text) => new(text, null);
    public static NoteText Fail(string error) => new(null, error);
}

/// <summary>
/// Reads a DocumentReference's note: attachment.data (text/plain, or text/html reduced to text) or
/// attachment.url pointing to a stored Binary. HTML is reduced by blanking markup in place, so the
/// text has exactly the length of the decoded HTML and every offset means the same in both.
/// </summary>
public static partial class NoteTextReader
{
    public static async Task<NoteText> ReadAsync(
        DocumentReference document, Func<string, CancellationToken, Task<Binary?>> readBinary, CancellationToken ct)
    {
        var attachment = document.Content.FirstOrDefault()?.Attachment;
        if (attachment is null) return NoteText.Fail("The DocumentReference has no content[0].attachment to code.");
        if (attachment.Data is { } data) return Decode(data, attachment.ContentType);
        if (string.IsNullOrEmpty(attachment.Url))
            return NoteText.Fail("content[0].attachment has neither data nor url.");

        var binaryId = BinaryId(attachment.Url);
        if (binaryId is null)
            return NoteText.Fail($"content[0].attachment.url '{attachment.Url}' does not point to a Binary on this server (expected Binary/{{id}}).");
        var binary = await readBinary(binaryId, ct);
        if (binary is null) return NoteText.Fail($"Binary/{binaryId} named by content[0].attachment.url does not exist.");
        if (binary.Data is null) return NoteText.Fail($"Binary/{binaryId} has no data.");
        return Decode(binary.Data, attachment.ContentType ?? binary.ContentType);
    }

    public static NoteText Decode(byte[] data, string? contentType)
    {
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        var text = Encoding.UTF8.GetString(data);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..]; // a BOM is not note text
        return mediaType switch
        {
            "text/plain" or null or "" => NoteText.Ok(text),
            "text/html" or "application/xhtml+xml" => NoteText.Ok(BlankMarkup(text)),
            _ => NoteText.Fail($"Cannot code a note of content type '{contentType}': only text/plain and text/html are supported."),
        };
    }

    /// <summary>
    /// Replaces tags, comments, script/style content and character references by whitespace of the same
    /// length (a line break where a block ends, so sentences stay apart; the decoded character first for an entity).
    /// </summary>
    public static string BlankMarkup(string html)
    {
        var chars = html.ToCharArray();
        foreach (Match m in Markup().Matches(html))
        {
            var replacement = ' ';
            if (m.Groups["entity"].Success)
            {
                var decoded = WebUtility.HtmlDecode(m.Value);
                replacement = decoded.Length == 1 ? decoded[0] : ' ';
            }
            else if (m.Groups["block"].Success) replacement = '\n';
            chars[m.Index] = replacement;
            for (var i = m.Index + 1; i < m.Index + m.Length; i++)
                chars[i] = chars[i] is '\n' or '\r' ? chars[i] : ' ';
        }
        return new string(chars);
    }

    static string? BinaryId(string url)
    {
        var match = BinaryUrl().Match(url);
        return match.Success ? match.Groups["id"].Value : null;
    }

    [GeneratedRegex(@"(?:^|/)Binary/(?<id>[A-Za-z0-9\-\.]{1,64})(?:/_history/[^/]+)?$")]
    private static partial Regex BinaryUrl();

    [GeneratedRegex(@"(?<script><(?<tag>script|style)\b[^>]*>.*?</\k<tag>\s*>)|<!--.*?-->|(?<block></?(?:p|div|br|li|ul|ol|tr|td|th|table|h[1-6]|section|article|header|footer|pre|blockquote|hr)\b[^>]*>)|<[^>]+>|(?<entity>&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);)",
        RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Markup();
}
