using System.IO.Compression;

namespace Symphony.Terminology.Loaders;

/// <summary>One file of a terminology release, wherever it lives (folder, zip entry, .gz).</summary>
public sealed record ReleaseFile(string Name, Func<Stream> Open);

/// <summary>
/// Lists the files of a release given as a folder, a .zip, a single file, or several of these.
/// Files ending in .gz are decompressed on the fly; zips inside folders are opened too.
/// </summary>
public static class ReleaseFiles
{
    public static IReadOnlyList<ReleaseFile> From(params string[] paths)
    {
        var files = new List<ReleaseFile>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    AddFile(file, files);
            }
            else if (File.Exists(path))
            {
                AddFile(path, files);
            }
            else
            {
                throw new FileNotFoundException($"Release path not found: {path}", path);
            }
        }
        return files;
    }

    static void AddFile(string path, List<ReleaseFile> files)
    {
        if (path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            files.AddRange(ZipEntries(path));
        }
        else if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
        {
            files.Add(new ReleaseFile(Path.GetFileName(path)[..^3], () => new GZipStream(File.OpenRead(path), CompressionMode.Decompress)));
        }
        else
        {
            files.Add(new ReleaseFile(Path.GetFileName(path), () => File.OpenRead(path)));
        }
    }

    static IEnumerable<ReleaseFile> ZipEntries(string zipPath)
    {
        List<string> names;
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            names = zip.Entries.Where(e => e.Length > 0 || !e.FullName.EndsWith('/')).Select(e => e.FullName).ToList();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path.GetFileName(zipPath)} is not a readable zip archive: {e.Message}", e);
        }
        foreach (var name in names)
        {
            if (name.EndsWith('/')) continue;
            yield return new ReleaseFile(Path.GetFileName(name), () => OpenZipEntry(zipPath, name));
        }
    }

    static Stream OpenZipEntry(string zipPath, string entryName)
    {
        var zip = ZipFile.OpenRead(zipPath);
        var entry = zip.GetEntry(entryName) ?? throw new InvalidDataException($"{entryName} vanished from {zipPath}");
        Stream inner = entry.Open();
        if (entryName.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) inner = new GZipStream(inner, CompressionMode.Decompress);
        return new OwningStream(inner, zip);
    }

    /// <summary>A read stream that also disposes the archive it came from.</summary>
    sealed class OwningStream(Stream inner, IDisposable owner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) { inner.Dispose(); owner.Dispose(); }
            base.Dispose(disposing);
        }
    }

    /// <summary>The name of the document element of an XML file, or null when the file is not XML.</summary>
    public static string? XmlRootName(ReleaseFile file)
    {
        using var stream = file.Open();
        try
        {
            using var reader = System.Xml.XmlReader.Create(stream, Xml.Settings);
            return reader.MoveToContent() == System.Xml.XmlNodeType.Element ? reader.LocalName : null;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }
}
