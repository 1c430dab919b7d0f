namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>Files of the repository the tests read: profiles/ and the fixtures next to these tests.</summary>
static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Profiles => Path.Combine(RepoRoot, "profiles");

    public static string Fixture(string name) => Path.Combine(RepoRoot, "tests", "Symphony.Fhir.Server.Tests", "CodingJobs", "fixtures", name);

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Symphony.Fhir.sln"))) return dir.FullName;
        throw new InvalidOperationException("Symphony.Fhir.sln not found above " + AppContext.BaseDirectory);
    }
}
