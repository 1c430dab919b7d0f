using System.Text;
using System.Xml;

namespace Symphony.Terminology.Loaders;

/// <summary>Small XmlReader helpers shared by the streaming loaders.</summary>
internal static class Xml
{
    public static readonly XmlReaderSettings Settings = new()
    {
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        DtdProcessing = DtdProcessing.Ignore,
        XmlResolver = null,
    };

    /// <summary>
    /// Visits the child elements of the element the reader is on. The handler must consume the child
    /// completely (read it to its end, or call <see cref="XmlReader.Skip"/> for the ones it ignores);
    /// afterwards the reader is past the parent's end tag.
    /// </summary>
    public static void Children(XmlReader r, Action<string> handle)
    {
        if (r.IsEmptyElement) { r.Read(); return; }
        var depth = r.Depth;
        r.Read();
        while (!(r.Depth == depth && r.NodeType == XmlNodeType.EndElement) && !r.EOF)
        {
            if (r.NodeType == XmlNodeType.Element) handle(r.LocalName);
            else r.Read();
        }
        r.Read();
    }

    /// <summary>
    /// Streams a release file whose root element holds a <c>version</c> and repeated <paramref name="element"/>
    /// children (the ICD-10-CM tabular, the ICD-10-PCS tables); each such child is handed to
    /// <paramref name="read"/>, which must consume it. Returns the version, if the file states one.
    /// </summary>
    public static string? ReadVersionAndEach(ReleaseFile file, string element, Action<XmlReader> read)
    {
        using var stream = file.Open();
        using var r = XmlReader.Create(stream, Settings);
        r.MoveToContent();
        string? version = null;
        Children(r, name =>
        {
            if (name == "version") version = Text(r);
            else if (name == element) read(r);
            else r.Skip();
        });
        return version;
    }

    /// <summary>All text of the current element (mixed content flattened), whitespace collapsed.</summary>
    public static string Text(XmlReader r) => MixedText(r, null);

    /// <summary>
    /// Text of the current element with the text of its children named <paramref name="takeOut"/>
    /// (e.g. <c>nemod</c>) moved into <paramref name="taken"/>; whitespace collapsed.
    /// </summary>
    public static string MixedText(XmlReader r, List<string>? taken, params string[] takeOut)
    {
        if (r.IsEmptyElement) { r.Read(); return ""; }
        var text = new StringBuilder();
        var depth = r.Depth;
        r.Read();
        while (!(r.Depth == depth && r.NodeType == XmlNodeType.EndElement) && !r.EOF)
        {
            if (r.NodeType == XmlNodeType.Element && taken is not null && takeOut.Contains(r.LocalName))
            {
                var inner = Text(r);
                if (inner.Length > 0) taken.Add(inner);
                text.Append(' ');
                continue;
            }
            if (r.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)
                text.Append(r.Value);
            r.Read();
        }
        r.Read();
        return Collapse(text.ToString());
    }

    public static string Collapse(string s)
    {
        var sb = new StringBuilder(s.Length);
        var space = false;
        foreach (var c in s)
        {
            if (char.IsWhiteSpace(c)) { space = sb.Length > 0; continue; }
            if (space) { sb.Append(' '); space = false; }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
