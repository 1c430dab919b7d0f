using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;
using Symphony.Terminology.Storage;

namespace Symphony.Terminology.Tests;

/// <summary>A compiled version written as a snapshot and read back answers every operation as the version it was made from.</summary>
public class SnapshotTests(Icd10Cm2021Fixture cm, Icd10PcsFixture pcs) : IClassFixture<Icd10Cm2021Fixture>, IClassFixture<Icd10PcsFixture>
{
    [Fact]
    public void GivenIcd10Cm2021_WhenItsSnapshotIsReadBack_ThenContentAndEveryAnswerAreTheSame()
    {
        var original = new CompiledCodeSystem(cm.Cm);
        var read = CompiledCodeSystem.FromSnapshot(original.ToSnapshot(), cm.Cm.Url, cm.Cm.Version);

        Assert.NotNull(read);
        AssertSameContent(original, read);
        Assert.Equal(Answers.Of(original), Answers.Of(read));
    }

    [Fact]
    public void GivenIcd10Pcs2026_WhenItsSnapshotIsReadBack_ThenAxisPropertiesAndEveryAnswerAreTheSame()
    {
        var original = new CompiledCodeSystem(pcs.Pcs);
        var read = CompiledCodeSystem.FromSnapshot(original.ToSnapshot(), pcs.Pcs.Url, pcs.Pcs.Version);

        Assert.NotNull(read);
        AssertSameContent(original, read);
        Assert.Equal(original.Find("0DTJ4ZZ")!.Properties, read.Find("0DTJ4ZZ")!.Properties);
        Assert.Equal(Answers.Of(original), Answers.Of(read));
    }

    [Fact]
    public void GivenASnapshotRead_WhenTheSameVersionIsAddedToAService_ThenTheReadCompiledFormIsServed()
    {
        var read = CompiledCodeSystem.FromSnapshot(new CompiledCodeSystem(cm.Cm).ToSnapshot(), cm.Cm.Url, cm.Cm.Version)!;

        Assert.Same(read, CompiledCodeSystem.Of(read.Version));
        Assert.Same(read, new TerminologyService().Add(read.Version));
    }

    [Fact]
    public void GivenADamagedOrForeignSnapshot_WhenRead_ThenNothingIsReturned()
    {
        var blob = new CompiledCodeSystem(cm.Cm).ToSnapshot();

        Assert.Null(CompiledCodeSystem.FromSnapshot([], cm.Cm.Url, "2021"));
        Assert.Null(CompiledCodeSystem.FromSnapshot([.. "not a snapshot at all"u8], cm.Cm.Url, "2021"));
        Assert.Null(CompiledCodeSystem.FromSnapshot(blob[..(blob.Length / 2)], cm.Cm.Url, "2021"));
        Assert.Null(CompiledCodeSystem.FromSnapshot(Damaged(blob), cm.Cm.Url, "2021"));
        Assert.Null(CompiledCodeSystem.FromSnapshot(WithFormat(blob, CompiledCodeSystem.SnapshotFormat - 1), cm.Cm.Url, "2021"));
        Assert.Null(CompiledCodeSystem.FromSnapshot(blob, cm.Cm.Url, "2022"));
        Assert.Null(CompiledCodeSystem.FromSnapshot(blob, "http://example.org/other", "2021"));
    }

    /// <summary>One byte changed in the middle of the compressed payload.</summary>
    internal static byte[] Damaged(byte[] blob)
    {
        var copy = blob.ToArray();
        copy[copy.Length / 2] ^= 0x5A;
        return copy;
    }

    /// <summary>The blob as if written by another snapshot format (the int32 after the 5-byte magic).</summary>
    internal static byte[] WithFormat(byte[] blob, int format)
    {
        var copy = blob.ToArray();
        BitConverter.GetBytes(format).CopyTo(copy, 5);
        return copy;
    }

    internal static void AssertSameContent(CompiledCodeSystem expected, CompiledCodeSystem actual)
    {
        Assert.Equal((expected.Url, expected.Version.Version, expected.Version.Name, expected.Version.EffectiveFrom),
            (actual.Url, actual.Version.Version, actual.Version.Name, actual.Version.EffectiveFrom));
        // Everything a concept and an index entry say, except the children lists, which are compared below.
        Assert.Equal(TerminologyChecksum.Of(expected.Version), TerminologyChecksum.Of(actual.Version));
        Assert.Equal(expected.Concepts.Select(c => c.Code), actual.Concepts.Select(c => c.Code));
        for (var i = 0; i < expected.Concepts.Length; i++)
        {
            Assert.Equal(expected.Concepts[i].Children, actual.Concepts[i].Children);
            Assert.Equal(expected.ChildrenOf(i), actual.ChildrenOf(i));
            Assert.Equal(expected.ParentOf(i), actual.ParentOf(i));
        }
    }
}

/// <summary>
/// The answers of $lookup, $validate-code, $subsumes and $expand (text filter and is-a) for a battery of
/// codes and texts, as lines, so two loaded forms of one version can be compared answer for answer.
/// </summary>
internal static class Answers
{
    static readonly string[] Codes =
    [
        "E11.22", "e1122", "E11", "E11.2", "I10", "S52.521A", "S52.521", "T81.40XA", "O36.5930", "J18.9", "U09.9", "X99.99",
        "0DTJ4ZZ", "0DTJ", "0D", "02703ZZ", "B", "4-4", "E08-E13",
    ];

    static readonly string[] Filters =
    [
        "type 2 diabetes kidney", "hypertension", "fracture radius", "pneumonia", "chronic kidney disease stage 3",
        "resection appendix", "bypass coronary", "E11", "0DT", "hyp",
    ];

    public static List<string> Of(CompiledCodeSystem compiled)
    {
        var service = new TerminologyService();
        service.Add(compiled);
        var url = compiled.Url;
        var version = compiled.Version.Version;
        var lines = new List<string>();
        foreach (var code in Codes)
        {
            try
            {
                var l = service.Lookup(url, code, version);
                lines.Add($"lookup {code}: {l.Concept.Code} {l.Concept.Display} parent={l.Parent?.Code} children={string.Join(",", l.Children.Select(c => c.Code))}");
            }
            catch (TerminologyNotFoundException e)
            {
                lines.Add($"lookup {code}: {e.Message}");
            }
            var v = service.ValidateCode(url, code, version);
            lines.Add($"validate {code}: {v.Result} {v.Message} {v.Display}");
            foreach (var other in Codes.Take(6))
            {
                try { lines.Add($"subsumes {code} {other}: {service.Subsumes(url, code, other, version)}"); }
                catch (TerminologyNotFoundException e) { lines.Add($"subsumes {code} {other}: {e.Message}"); }
            }
            try
            {
                var isa = service.Expand($"{url}?fhir_vs=isa/{code}", count: 50);
                lines.Add($"is-a {code}: {isa.Total} {string.Join(",", isa.Contains.Select(c => c.Code))}");
            }
            catch (TerminologyNotFoundException e)
            {
                lines.Add($"is-a {code}: {e.Message}");
            }
        }
        foreach (var filter in Filters)
        {
            var expansion = service.Expand(url + "?fhir_vs", filter: filter, count: 40);
            lines.Add($"expand {filter}: {expansion.Total} {string.Join(",", expansion.Contains.Select(c => $"{c.Code}|{c.Display}|{c.Abstract}"))}");
            lines.Add($"search {filter}: {string.Join(",", compiled.Search(filter).Take(40).Select(r => $"{r.Id}:{r.Score:R}"))}");
        }
        var all = service.Expand(url + "?fhir_vs", offset: 1000, count: 20);
        lines.Add($"expand all: {all.Total} {string.Join(",", all.Contains.Select(c => c.Code))}");
        return lines;
    }
}
