using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Loaders;

/// <summary>What one import brings: code system versions and value sets, and where they came from.</summary>
public sealed record TerminologyBundle(string Source, IReadOnlyList<CodeSystemVersion> CodeSystems, IReadOnlyList<ValueSetDefinition> ValueSets);

/// <summary>
/// Any FHIR R4 CodeSystem or ValueSet (JSON or XML), or a FHIR package (.tgz) holding them. This is how
/// a site loads SNOMED subsets, payer value sets, WHO/UK ICD-10 or anything else.
/// </summary>
public static class FhirTerminologyLoader
{
    public static TerminologyBundle LoadFile(string path)
    {
        if (path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
            return LoadPackage(path);
        var text = File.ReadAllText(path);
        var resource = Parse(text, path);
        var bundle = new List<Resource> { resource };
        if (resource is Bundle b) bundle = b.Entry.Select(e => e.Resource).OfType<Resource>().ToList();
        return FromResources(path, bundle);
    }

    /// <summary>Reads package/package.json and every CodeSystem and ValueSet in the package folder.</summary>
    public static TerminologyBundle LoadPackage(string path)
    {
        var resources = new List<Resource>();
        string? packageName = null;
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        try
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var name = entry.Name.Replace('\\', '/');
                if (!name.StartsWith("package/", StringComparison.Ordinal) || !name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) continue;
                using var reader = new StreamReader(entry.DataStream);
                var json = reader.ReadToEnd();
                if (name == "package/package.json")
                {
                    using var doc = JsonDocument.Parse(json);
                    var root = doc.RootElement;
                    packageName = $"{root.GetProperty("name").GetString()}#{(root.TryGetProperty("version", out var v) ? v.GetString() : "?")}";
                    continue;
                }
                if (name.Count(c => c == '/') != 1 || name.EndsWith(".index.json", StringComparison.Ordinal)) continue;
                // Only CodeSystems and ValueSets are read: other resources of the package (an ImplementationGuide that
                // names them, profiles) are neither needed nor always strictly valid R4.
                if (ResourceType(json) is not ("CodeSystem" or "ValueSet")) continue;
                var resource = Parse(json, name);
                if (resource is CodeSystem or ValueSet) resources.Add(resource);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)} is not a readable FHIR package (.tgz): {e.Message}", e);
        }
        if (packageName is null) throw new InvalidDataException($"{Path.GetFileName(path)} has no package/package.json: not a FHIR package");
        return FromResources(packageName, resources);
    }

    /// <summary>The top-level resourceType of a JSON resource, or null when the text is not a JSON object.</summary>
    static string? ResourceType(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("resourceType", out var type) ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static Resource Parse(string text, string source)
    {
        try
        {
            var trimmed = text.TrimStart();
            return trimmed.StartsWith('<')
                ? new FhirXmlDeserializer().DeserializeResource(text)
                : new FhirJsonDeserializer().DeserializeResource(text);
        }
        catch (Exception e) when (e is DeserializationFailedException or FormatException or JsonException or System.Xml.XmlException)
        {
            throw new InvalidDataException($"{source}: not a readable FHIR resource: {e.Message}", e);
        }
    }

    public static TerminologyBundle FromResources(string source, IEnumerable<Resource> resources)
    {
        var codeSystems = new List<CodeSystemVersion>();
        var valueSets = new List<ValueSetDefinition>();
        foreach (var resource in resources)
        {
            switch (resource)
            {
                case CodeSystem cs when cs.Concept.Count > 0:
                    codeSystems.Add(ToVersion(cs));
                    // CodeSystem.valueSet names the value set of all its codes.
                    if (!string.IsNullOrEmpty(cs.ValueSet))
                        valueSets.Add(new ValueSetDefinition(cs.ValueSet, cs.Version, cs.Name, [new ValueSetRule(cs.Url, cs.Version, [], [], [])], []));
                    break;
                case CodeSystem: break; // content not-present / example: nothing to load
                case ValueSet vs: valueSets.Add(ToDefinition(vs)); break;
            }
        }
        if (codeSystems.Count == 0 && valueSets.Count == 0)
            throw new InvalidDataException($"{source}: no CodeSystem with concepts and no ValueSet found");
        return new TerminologyBundle(source, codeSystems, valueSets);
    }

    public static CodeSystemVersion ToVersion(CodeSystem cs)
    {
        if (string.IsNullOrEmpty(cs.Url)) throw new InvalidDataException($"CodeSystem {cs.Id ?? cs.Name} has no url");
        var concepts = new Dictionary<string, Concept>(StringComparer.Ordinal);
        var childLinks = new List<(string Parent, string Child)>();
        void Add(CodeSystem.ConceptDefinitionComponent definition, Concept? parent)
        {
            var code = definition.Code ?? throw new InvalidDataException($"CodeSystem {cs.Url}: a concept without a code");
            var concept = new Concept { Code = code, Display = definition.Display ?? code, ParentCode = parent?.Code, Kind = "concept", IsBillable = true };
            if (!concepts.TryAdd(concept.Code, concept)) throw new InvalidDataException($"CodeSystem {cs.Url}: code {concept.Code} appears twice");
            parent?.Children.Add(concept.Code);
            if (!string.IsNullOrEmpty(definition.Definition)) concept.Properties["definition"] = definition.Definition;
            foreach (var d in definition.Designation)
                if (!string.IsNullOrEmpty(d.Value)) concept.Designations.Add(new Designation(d.Value, d.Language, d.Use?.Code));
            foreach (var p in definition.Property)
            {
                var value = p.Value switch
                {
                    Code c => c.Value,
                    Coding coding => coding.Code,
                    FhirBoolean b => b.Value == true ? "true" : "false",
                    PrimitiveType primitive => primitive.ToString(),
                    _ => null,
                };
                if (value is null || p.Code is null) continue;
                if (p.Code is "notSelectable" or "abstract" && value == "true") concept.IsBillable = false;
                // Flat hierarchies: parents and children given as properties are linked below.
                if (p.Code is "parent" or "subsumedBy" && concept.ParentCode is null) concept.ParentCode = value;
                else if (p.Code == "child") childLinks.Add((concept.Code, value));
                else concept.Properties[p.Code] = value;
            }
            foreach (var child in definition.Concept) Add(child, concept);
        }
        foreach (var definition in cs.Concept) Add(definition, null);
        foreach (var (parentCode, childCode) in childLinks)
            if (concepts.TryGetValue(childCode, out var child)) child.ParentCode ??= parentCode;
        foreach (var concept in concepts.Values)
        {
            // Parents given by a "parent" property rather than by nesting.
            if (concept.ParentCode is { } p && concepts.TryGetValue(p, out var parent) && !parent.Children.Contains(concept.Code)) parent.Children.Add(concept.Code);
        }
        var version = cs.Version ?? "unversioned";
        return new CodeSystemVersion
        {
            Url = cs.Url,
            Version = version,
            Name = cs.Name ?? cs.Title ?? cs.Url,
            EffectiveFrom = cs.Url == Icd10CmLoader.Url ? Icd10CmLoader.FiscalYearStart(version) : null,
            Language = cs.Language,
            Concepts = concepts,
        };
    }

    public static ValueSetDefinition ToDefinition(ValueSet vs)
    {
        if (string.IsNullOrEmpty(vs.Url)) throw new InvalidDataException($"ValueSet {vs.Id ?? vs.Name} has no url");
        static ValueSetRule Rule(ValueSet.ConceptSetComponent c) => new(
            c.System, c.Version,
            c.Concept.Select(x => x.Code).OfType<string>().ToList(),
            c.Filter.Select(f => new ValueSetFilter(f.Property ?? "concept", f.Op switch
            {
                FilterOperator.IsA => "is-a",
                FilterOperator.DescendentOf => "descendent-of",
                FilterOperator.IsNotA => "is-not-a",
                FilterOperator.Equal => "=",
                var other => other?.ToString() ?? "?",
            }, f.Value ?? "")).ToList(),
            c.ValueSet.OfType<string>().ToList());
        var include = vs.Compose?.Include.Select(Rule).ToList() ?? [];
        var exclude = vs.Compose?.Exclude.Select(Rule).ToList() ?? [];
        if (include.Count == 0 && vs.Expansion?.Contains is { Count: > 0 } contains)
        {
            include = contains.Where(c => c.System is not null && c.Code is not null).GroupBy(c => (c.System, c.Version))
                .Select(g => new ValueSetRule(g.Key.System, g.Key.Version, g.Select(c => c.Code).OfType<string>().ToList(), [], [])).ToList();
        }
        return new ValueSetDefinition(vs.Url, vs.Version, vs.Name, include, exclude);
    }
}
