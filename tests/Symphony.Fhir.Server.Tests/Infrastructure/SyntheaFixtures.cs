using System.IO.Compression;

namespace Symphony.Fhir.Server.Tests.Infrastructure;

/// <summary>The Synthea NDJSON copied into fixtures/synthea (see fixtures/README.md).</summary>
public static class SyntheaFixtures
{
    public static IReadOnlyList<string> Lines(string resourceType)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", "synthea", $"{resourceType}.ndjson.gz");
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
                lines.Add(line);
        }
        return lines;
    }

    public static string First(string resourceType) => Lines(resourceType)[0];
}
