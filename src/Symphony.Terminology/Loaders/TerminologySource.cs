using Symphony.Terminology.Model;

namespace Symphony.Terminology.Loaders;

/// <summary>
/// Reads whatever an administrator hands over — an ICD-10-CM or ICD-10-PCS release (zip or folder),
/// a FHIR CodeSystem/ValueSet/Bundle (JSON or XML) or a FHIR package (.tgz) — deciding by content.
/// </summary>
public static class TerminologySource
{
    public static TerminologyBundle Read(string path, string? version = null)
    {
        if (File.Exists(path) && (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || (path.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) && IsFhirXml(path))))
            return FhirTerminologyLoader.LoadFile(path);

        var files = ReleaseFiles.From(path);
        var roots = files.Where(f => f.Name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase)).Select(ReleaseFiles.XmlRootName).ToHashSet();
        CodeSystemVersion loaded = roots.Contains("ICD10PCS.tabular")
            ? Icd10PcsLoader.Load(files, version)
            : Icd10CmLoader.Load(files, version);
        return new TerminologyBundle(path, [loaded], []);
    }

    /// <summary>
    /// The shipped releases: ICD-10-CM 2021, 2022, 2024 and ICD-10-PCS 2026. Each is parsed once per
    /// process (several servers in one test run share them; loaded versions are never modified).
    /// </summary>
    public static IEnumerable<Func<TerminologyBundle>> Shipped() => ShippedReleases.Select(r => r.Read);

    /// <summary>One shipped release: the code system version it holds, known without parsing it, and how to read it.</summary>
    public sealed record ShippedRelease(string Url, string Version, Func<TerminologyBundle> Read);

    public static IReadOnlyList<ShippedRelease> ShippedReleases { get; } =
    [
        .. ShippedTerminology.Icd10CmVersions.Select(v => Release(Icd10CmLoader.Url, v, $"shipped ICD-10-CM {v}", () => ShippedTerminology.LoadIcd10Cm(v))),
        Release(Icd10PcsLoader.Url, "2026", "shipped ICD-10-PCS 2026", ShippedTerminology.LoadIcd10Pcs),
    ];

    static ShippedRelease Release(string url, string version, string source, Func<CodeSystemVersion> load)
    {
        var bundle = new Lazy<TerminologyBundle>(() => new TerminologyBundle(source, [load()], []));
        return new ShippedRelease(url, version, () => bundle.Value);
    }

    static bool IsFhirXml(string path)
    {
        using var reader = System.Xml.XmlReader.Create(path, new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Ignore });
        return reader.MoveToContent() == System.Xml.XmlNodeType.Element && reader.NamespaceURI == "http://hl7.org/fhir";
    }
}
