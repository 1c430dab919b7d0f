using System.Text.RegularExpressions;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Tests;

public sealed class Icd10PcsFixture
{
    public CodeSystemVersion Pcs { get; } = ShippedTerminology.LoadIcd10Pcs();
}

public class Icd10PcsLoaderTests(Icd10PcsFixture fixture) : IClassFixture<Icd10PcsFixture>
{
    readonly CodeSystemVersion pcs = fixture.Pcs;

    [Fact]
    public void Every_valid_code_of_the_tables_is_a_billable_concept()
    {
        var tables = ReleaseFiles.From(ShippedTerminology.Icd10PcsFiles()).Single(f => f.Name.Contains("tables"));
        using var reader = new StreamReader(tables.Open());
        // Each <pcsRow codes="N"> states how many codes the row defines.
        var stated = Regex.Matches(reader.ReadToEnd(), "<pcsRow codes=\"(\\d+)\"").Sum(m => int.Parse(m.Groups[1].Value));

        Assert.Equal(79_115, stated);
        Assert.Equal(stated, pcs.Concepts.Values.Count(c => c.IsBillable));
        Assert.All(pcs.Concepts.Values.Where(c => c.IsBillable), c => Assert.Equal(7, c.Code.Length));
    }

    [Fact]
    public void A_code_carries_its_axis_meanings_and_a_composed_title()
    {
        var appendectomy = pcs.Find("0DTJ4ZZ")!;
        Assert.Equal("Resection of Appendix, Percutaneous Endoscopic Approach", appendectomy.Display);
        Assert.Equal("Medical and Surgical", appendectomy.Properties["section"]);
        Assert.Equal("Gastrointestinal System", appendectomy.Properties["body-system"]);
        Assert.Equal("Resection", appendectomy.Properties["operation"]);
        Assert.Equal("Appendix", appendectomy.Properties["body-part"]);
        Assert.Equal("Percutaneous Endoscopic", appendectomy.Properties["approach"]);
        Assert.Equal("No Device", appendectomy.Properties["device"]);
        Assert.Equal("No Qualifier", appendectomy.Properties["qualifier"]);

        Assert.Equal("Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach", pcs.Find("0016070")!.Display);
    }

    [Fact]
    public void Prefixes_of_one_to_four_characters_are_grouping_concepts()
    {
        Assert.Equal("0DTJ", pcs.Find("0DTJ4ZZ")!.ParentCode);
        var prefix = pcs.Find("0DTJ")!;
        Assert.False(prefix.IsBillable);
        Assert.Equal("0DT", prefix.ParentCode);
        Assert.Equal("0D", pcs.Find("0DT")!.ParentCode);
        Assert.Equal("0", pcs.Find("0D")!.ParentCode);
        Assert.Equal("Medical and Surgical", pcs.Find("0")!.Display);
        Assert.Contains("0DTJ0ZZ", prefix.Children);
    }

    [Fact]
    public void Index_lines_keep_see_targets_with_their_partial_codes()
    {
        var line = Assert.Single(pcs.IndexEntries, e => e.Path.SequenceEqual(["Abdominohysterectomy"]));
        Assert.Equal(("0UT9", "Resection, Uterus"), (line.Code, line.See));
        Assert.Contains(pcs.IndexEntries, e => e.Path.SequenceEqual(["Abortion", "Abortifacient"]) && e.Code == "10A07ZX");
        Assert.Contains(pcs.IndexEntries, e => e.Path.SequenceEqual(["Abdominal aortic plexus"]) && e.Use == "Abdominal Sympathetic Nerve");
    }
}
