using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;

namespace Symphony.Terminology;

/// <summary>
/// The releases shipped in the repository's <c>terminology/</c> folder, found at run time by walking up
/// from the application directory and from the current directory (override: SYMPHONY_TERMINOLOGY_DIR).
/// </summary>
public static class ShippedTerminology
{
    public const string DirectoryVariable = "SYMPHONY_TERMINOLOGY_DIR";

    /// <summary>ICD-10-CM versions shipped, oldest first. 2021 is complete (tabular + order); the others are order files.</summary>
    public static IReadOnlyList<string> Icd10CmVersions { get; } = ["2021", "2022", "2024"];

    public static string Directory => FindDirectory()
        ?? throw new DirectoryNotFoundException($"No terminology/ folder found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}; set {DirectoryVariable}.");

    public static string? FindDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrWhiteSpace(overridden)) return System.IO.Directory.Exists(overridden) ? overridden : null;
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "terminology");
                if (File.Exists(Path.Combine(candidate, "icd10cm", "icd10cm-2021.zip"))) return candidate;
            }
        }
        return null;
    }

    /// <summary>The files that make up one shipped ICD-10-CM version (the FY2026 index XMLs go with every version).</summary>
    public static string[] Icd10CmFiles(string version = "2021")
    {
        var release = version switch
        {
            "2021" => "icd10cm-2021.zip",
            "2022" => "icd10cm-2022-order.zip",
            "2024" => "icd10cm-2024-order.zip",
            _ => throw new ArgumentException($"ICD-10-CM {version} is not shipped; shipped: {string.Join(", ", Icd10CmVersions)}", nameof(version)),
        };
        var dir = Path.Combine(Directory, "icd10cm");
        return [Path.Combine(dir, release), Path.Combine(dir, "icd10cm-index-2026-april.zip")];
    }

    public static string[] Icd10PcsFiles()
    {
        var dir = Path.Combine(Directory, "icd10pcs");
        return [Path.Combine(dir, "icd10pcs-2026.zip"), Path.Combine(dir, "icd10pcs-index-2025.zip")];
    }

    public static CodeSystemVersion LoadIcd10Cm(string version = "2021") =>
        Icd10CmLoader.Load(ReleaseFiles.From(Icd10CmFiles(version)), version);

    public static CodeSystemVersion LoadIcd10Pcs() => Icd10PcsLoader.Load(ReleaseFiles.From(Icd10PcsFiles()), "2026");
}
