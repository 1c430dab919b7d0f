using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Storage;

/// <summary>A sha256 over everything a code system version or value set says, so re-importing the same content is recognised.</summary>
public static class TerminologyChecksum
{
    public static string Of(CodeSystemVersion version)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new StringBuilder(512);
        void Flush()
        {
            hash.AppendData(Encoding.UTF8.GetBytes(buffer.ToString()));
            buffer.Clear();
        }
        buffer.Append(version.Url).Append('\n').Append(version.Version).Append('\n').Append(version.Name).Append('\n').Append(version.EffectiveFrom).Append('\n');
        foreach (var c in version.Concepts.Values)
        {
            buffer.Append(c.Code).Append('\t').Append(c.Display).Append('\t').Append(c.ShortDisplay).Append('\t').Append(c.ParentCode)
                .Append('\t').Append(c.IsBillable).Append('\t').Append(c.Kind);
            foreach (var n in c.Notes) buffer.Append('\t').Append((int)n.Kind).Append(n.Text);
            // Language and use only when given, so designations without them sum as before.
            foreach (var d in c.Designations)
            {
                buffer.Append("\td").Append(d.Value);
                if (d.Language is not null || d.Use is not null) buffer.Append('|').Append(d.Language).Append('|').Append(d.Use);
            }
            foreach (var (k, v) in c.Properties) buffer.Append("\tp").Append(k).Append('=').Append(v);
            if (c.SeventhCharacters is not null) foreach (var (k, v) in c.SeventhCharacters) buffer.Append("\t7").Append(k).Append(v);
            buffer.Append('\n');
            if (buffer.Length > 64_000) Flush();
        }
        foreach (var e in version.IndexEntries)
        {
            buffer.Append(e.Index).Append('\t').Append(string.Join('|', e.Path)).Append('\t').Append(e.Code).Append('\t').Append(e.Column)
                .Append('\t').Append(string.Join('|', e.Modifiers)).Append('\t').Append(e.See).Append('\t').Append(e.SeeAlso)
                .Append('\t').Append(e.Manifestation).Append('\t').Append(e.Use).Append('\n');
            if (buffer.Length > 64_000) Flush();
        }
        Flush();
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static string Of(ValueSetDefinition valueSet) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(valueSet)));
}
