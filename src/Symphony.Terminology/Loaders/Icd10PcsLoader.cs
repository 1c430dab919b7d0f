using Symphony.Terminology.Model;

namespace Symphony.Terminology.Loaders;

public static class Icd10PcsLoader
{
    public const string Url = "http://www.cms.gov/Medicare/Coding/ICD10";

    public static CodeSystemVersion Load(params string[] paths) => Load(ReleaseFiles.From(paths));

    public static CodeSystemVersion Load(IReadOnlyList<ReleaseFile> files, string? version = null) => throw new NotImplementedException();
}
