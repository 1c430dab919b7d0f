using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Symphony.Fhir.Server.Resources;

namespace Symphony.Fhir.Server.Fhir;

/// <summary>What one request body may hold, and the settings that raise each limit (named in the answers).</summary>
public sealed record BodyLimits(long MaxBytes, int MaxElements, int MaxBundleEntries)
{
    public string MaxBytesSetting { get; init; } = FhirOptions.Name(nameof(FhirOptions.MaxBodyBytes));
    public string MaxElementsSetting => FhirOptions.Name(nameof(FhirOptions.MaxElements));
    public string MaxBundleEntriesSetting => FhirOptions.Name(nameof(FhirOptions.MaxBundleEntries));
}

/// <summary>
/// Counts what a body holds before it is parsed: elements per resource, entries of a Bundle, nesting depth (narrative
/// XHTML included). Parsing and validating cost time in proportion to the elements (200,000 names: 5 s of CPU) and deep
/// nesting overflows the stack of the XML parser and the narrative validator, which ends the process; this reader keeps
/// no tree and stops at the first limit passed. Malformed input is left to the parser, which explains it better.
/// </summary>
public static class BodyBudget
{
    /// <summary>System.Text.Json's default depth, which the JSON parser applies anyway; XML and narrative get the same.</summary>
    public const int MaxDepth = 64;

    private const string FhirNamespace = "http://hl7.org/fhir";

    /// <summary>A resource, object, array or XML element being read; its elements go to the enclosing resource when it closes.</summary>
    private struct Frame
    {
        public int Elements;
        public string? ResourceType;
        public bool IsResource;
        public bool IsRootEntries;
    }

    /// <summary>The counts so far, shared by the JSON and XML readers.</summary>
    private sealed class Count(BodyLimits limits)
    {
        private readonly Frame[] _frames = new Frame[MaxDepth];
        private int _rootEntries;

        public int Depth { get; private set; }

        public ref Frame Top => ref _frames[Depth - 1];

        /// <summary>The type of the resource at the root, once read.</summary>
        public string? RootType { get; set; }

        public void Open(bool isResource = false, bool isRootEntries = false)
        {
            if (Depth == MaxDepth)
                throw TooDeep();
            _frames[Depth++] = new Frame { IsResource = isResource, IsRootEntries = isRootEntries };
        }

        /// <summary>Elements in the innermost open frame: one, or a whole narrative's worth.</summary>
        public void Add(int elements = 1)
        {
            if (Depth == 0)
                return;
            ref var top = ref Top;
            if (top.IsRootEntries)
                AddEntry();
            top.Elements += elements;
            Check(ref top);
        }

        public void AddEntry()
        {
            if (++_rootEntries > limits.MaxBundleEntries && RootType == "Bundle")
                throw TooManyEntries($"more than {limits.MaxBundleEntries} entries");
        }

        public void Close()
        {
            var closed = _frames[--Depth];
            if (Depth == 0 || closed.IsResource)
                return;
            ref var parent = ref Top;
            parent.Elements += closed.Elements;
            Check(ref parent);
        }

        /// <summary>The root's type may come after its entries (JSON allows any order): the count is judged at the end too.</summary>
        public void CheckEntries()
        {
            if (_rootEntries > limits.MaxBundleEntries && RootType == "Bundle")
                throw TooManyEntries($"{_rootEntries} entries");
        }

        /// <summary>An object or array over the limit puts its resource over it too: no need to wait for the resource to close.</summary>
        private void Check(ref Frame frame)
        {
            if (frame.Elements <= limits.MaxElements)
                return;
            var type = frame.ResourceType ?? EnclosingType() ?? "resource";
            throw new FhirException(StatusCodes.Status413PayloadTooLarge, Outcomes.Error(OperationOutcome.IssueType.TooCostly,
                $"A {type} in the body has more than {limits.MaxElements} elements, the limit per resource ({limits.MaxElementsSetting})."));
        }

        private string? EnclosingType()
        {
            for (var i = Depth - 1; i >= 0; i--)
            {
                if (_frames[i].IsResource)
                    return _frames[i].ResourceType;
            }
            return null;
        }

        private FhirException TooManyEntries(string entries) =>
            new(StatusCodes.Status413PayloadTooLarge, Outcomes.Error(OperationOutcome.IssueType.TooCostly,
                $"The Bundle has {entries}; the limit is {limits.MaxBundleEntries} ({limits.MaxBundleEntriesSetting})."));
    }

    /// <summary>
    /// Throws a 413 (too many elements or entries) or 400 (too deep) <see cref="FhirException"/>. Returns why the body
    /// could not be read to its end, or null: the parser reads the same way and stops at the same place, so the caller
    /// lets it explain, and must not accept a body this could not read.
    /// </summary>
    public static string? Check(ReadOnlySpan<byte> utf8, string text, FhirFormat format, BodyLimits limits) =>
        format == FhirFormat.Json ? CheckJson(utf8, limits) : CheckXml(text, limits);

    private enum Property { None, Other, ResourceType, Div, Entry }

    private static string? CheckJson(ReadOnlySpan<byte> utf8, BodyLimits limits)
    {
        var count = new Count(limits);
        // As lenient as the parser (comments, trailing commas), one level deeper so that our depth limit answers first.
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            MaxDepth = MaxDepth + 1,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        // The property whose value is the current token (None for the items of an array). Compared unescaped: "di\u0076" is "div".
        var property = Property.None;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.ValueTextEquals("resourceType"u8) ? Property.ResourceType
                            : reader.ValueTextEquals("div"u8) ? Property.Div
                            : reader.ValueTextEquals("entry"u8) ? Property.Entry
                            : Property.Other;
                        if (property == Property.ResourceType)
                            count.Top.IsResource = true;
                        continue;
                    case JsonTokenType.StartObject:
                        count.Add();
                        count.Open();
                        break;
                    case JsonTokenType.StartArray:
                        count.Open(isRootEntries: count.Depth == 1 && property == Property.Entry);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        count.Close();
                        break;
                    case JsonTokenType.String when property == Property.ResourceType:
                        count.Top.ResourceType = reader.GetString();
                        if (count.Depth == 1)
                            count.RootType = count.Top.ResourceType;
                        count.Add();
                        break;
                    case JsonTokenType.String when property == Property.Div:
                        count.Add(1 + XhtmlElements(reader.GetString()!, limits));
                        break;
                    default:
                        count.Add();
                        break;
                }
                property = Property.None;
                // The parser reads the first value and ignores what follows it.
                if (count.Depth == 0)
                    break;
            }
        }
        catch (JsonException exception)
        {
            return exception.Message;
        }
        count.CheckEntries();
        return null;
    }

    private static string? CheckXml(string text, BodyLimits limits)
    {
        var count = new Count(limits);
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), ReaderSettings);
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element)
                {
                    var isResource = reader.NamespaceURI == FhirNamespace && char.IsAsciiLetterUpper(reader.LocalName[0]);
                    if (reader.Depth == 0)
                        count.RootType = reader.LocalName;
                    else if (reader.Depth == 1 && reader.LocalName == "entry")
                        count.AddEntry();
                    count.Add();
                    if (reader.IsEmptyElement)
                    {
                        if (reader.Depth == 0)
                            break;
                        continue;
                    }
                    count.Open(isResource);
                    if (isResource)
                        count.Top.ResourceType = reader.LocalName;
                }
                else if (reader.NodeType == XmlNodeType.EndElement)
                {
                    count.Close();
                    // The parser reads the root element and nothing after it.
                    if (count.Depth == 0)
                        break;
                }
            }
        }
        catch (XmlException exception)
        {
            return exception.Message;
        }
        count.CheckEntries();
        return null;
    }

    /// <summary>The elements of a narrative (JSON carries it as a string), checked for depth like the rest of the body.</summary>
    private static int XhtmlElements(string xhtml, BodyLimits limits)
    {
        var elements = 0;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xhtml), ReaderSettings);
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                    continue;
                if (reader.Depth >= MaxDepth)
                    throw TooDeep();
                if (++elements > limits.MaxElements)
                    break;
            }
        }
        catch (XmlException)
        {
            // Not well-formed: the validator says so, reading it the same way, so it goes no deeper than this did.
        }
        return elements;
    }

    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        ConformanceLevel = ConformanceLevel.Fragment,
        IgnoreComments = true,
        IgnoreWhitespace = true,
    };

    private static FhirException TooDeep() => FhirException.BadRequest(
        $"The body nests elements more than {MaxDepth} levels deep, which no FHIR resource needs.");
}
