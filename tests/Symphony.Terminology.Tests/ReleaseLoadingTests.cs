using System.IO.Compression;
using Symphony.Terminology.Loaders;

namespace Symphony.Terminology.Tests;

public class ReleaseLoadingTests
{
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    [Theory]
    [InlineData("2022", 72_748)]
    [InlineData("2024", 74_044)]
    public void Order_file_only_releases_give_every_valid_code_with_its_parent_by_prefix(string version, int validCodes)
    {
        var cm = ShippedTerminology.LoadIcd10Cm(version);

        Assert.Equal(version, cm.Version);
        Assert.Equal(validCodes, cm.Concepts.Values.Count(c => c.IsBillable));
        Assert.Equal("E11.2", cm.Find("E11.22")!.ParentCode);
        Assert.Equal("E11", cm.Find("E11.2")!.ParentCode);
        Assert.Equal("T81.40", cm.Find("T81.40XA")!.ParentCode);
        Assert.False(cm.Find("T81.40")!.IsBillable);
        Assert.Equal("subcategory", cm.Find("T81.40")!.Kind);
        Assert.Equal("Infection following a procedure, unspecified, initial encounter", cm.Find("T81.40XA")!.Display);
    }

    [Fact]
    public void A_disease_index_in_the_CDC_schema_is_read_when_given()
    {
        var release = ShippedTerminology.Icd10CmFiles("2022")[0];
        var cm = Icd10CmLoader.Load(release, Path.Combine(AppContext.BaseDirectory, "fixtures"));

        var disease = cm.IndexEntries.Where(e => e.Index == "disease").ToList();
        var ckd = Assert.Single(disease, e => e.Code == "E11.22");
        Assert.Equal(["Diabetes, diabetic", "type 2", "with", "chronic kidney disease"], ckd.Path);
        Assert.Equal(["(mellitus) (sugar)"], ckd.Modifiers);
        Assert.Equal("N08", Assert.Single(disease, e => e.Code == "E11.21").Manifestation);
        Assert.Equal("Diabetes, type 1", Assert.Single(disease, e => e.Path[^1] == "juvenile-onset").See);
        var hypertension = Assert.Single(disease, e => e.Code == "I10");
        Assert.Equal(("Hypertension, hypertensive", "Hypertensive"), (hypertension.Path[0], hypertension.SeeAlso));
    }

    [Fact]
    public void Files_are_recognised_by_content_whatever_their_names_and_gz_is_read_directly()
    {
        var dir = Directory.CreateTempSubdirectory("symphony-term-");
        try
        {
            using (var zip = ZipFile.OpenRead(ShippedTerminology.Icd10CmFiles("2024")[0]))
            using (var gz = new GZipStream(File.Create(Path.Combine(dir.FullName, "codes.txt.gz")), CompressionLevel.Fastest))
            using (var entry = zip.Entries.Single().Open())
            {
                entry.CopyTo(gz);
            }
            File.Copy(Fixture("icd10cm-index-disease-sample.xml"), Path.Combine(dir.FullName, "a.xml"));

            var cm = Icd10CmLoader.Load(ReleaseFiles.From(dir.FullName), "2024");

            Assert.Equal(74_044, cm.Concepts.Values.Count(c => c.IsBillable));
            Assert.Contains(cm.IndexEntries, e => e.Index == "disease" && e.Code == "I10");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_corrupt_zip_is_reported_clearly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"symphony-corrupt-{Guid.NewGuid():N}.zip");
        File.WriteAllBytes(path, [0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8]);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => Icd10CmLoader.Load(path));
            Assert.Contains("is not a readable zip archive", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_folder_without_an_ICD_10_CM_release_is_refused()
    {
        var error = Assert.Throws<InvalidDataException>(() => Icd10CmLoader.Load(ShippedTerminology.Icd10PcsFiles()));
        Assert.Contains("No ICD-10-CM tabular XML", error.Message);
    }

    [Fact]
    public void GivenTheShippedReleases_WhenTheirVersionIsAskedWithoutParsing_ThenItIsTheVersionParsingGives()
    {
        var releases = TerminologySource.ShippedReleases;

        Assert.Equal(4, releases.Count);
        Assert.All(releases, r =>
        {
            var parsed = Assert.Single(r.Read().CodeSystems);
            Assert.Equal((r.Url, r.Version), (parsed.Url, parsed.Version));
        });
    }
}
