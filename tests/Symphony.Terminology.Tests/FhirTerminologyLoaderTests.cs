using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Services;

namespace Symphony.Terminology.Tests;

public class FhirTerminologyLoaderTests
{
    const string SiteSystem = "http://example.org/fhir/CodeSystem/site-findings";

    static CodeSystem SiteCodeSystem() => new()
    {
        Url = SiteSystem,
        Version = "2024-01",
        Name = "SiteFindings",
        ValueSet = "http://example.org/fhir/ValueSet/site-findings-all",
        Status = PublicationStatus.Active,
        Content = CodeSystemContentMode.Complete,
        Concept =
        [
            new()
            {
                Code = "RESP", Display = "Respiratory findings",
                Property = [new() { Code = "notSelectable", Value = new FhirBoolean(true) }],
                Concept = [new() { Code = "COUGH", Display = "Cough", Designation = [new() { Value = "Tussis" }] }, new() { Code = "WHEEZE", Display = "Wheezing" }],
            },
            new() { Code = "FEVER", Display = "Fever" },
        ],
    };

    static ValueSet RespiratoryValueSet() => new()
    {
        Url = "http://example.org/fhir/ValueSet/respiratory",
        Status = PublicationStatus.Active,
        Compose = new() { Include = [new() { System = SiteSystem, Filter = [new() { Property = "concept", Op = FilterOperator.DescendentOf, Value = "RESP" }] }] },
    };

    [Fact]
    public void A_CodeSystem_json_file_becomes_a_version_with_its_hierarchy_and_selectability()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cs-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, new FhirJsonSerializer().SerializeToString(SiteCodeSystem()));
        try
        {
            var bundle = TerminologySource.Read(path);
            var version = Assert.Single(bundle.CodeSystems);
            Assert.Equal(("2024-01", 4), (version.Version, version.Concepts.Count));
            Assert.Equal("RESP", version.Find("COUGH")!.ParentCode);
            Assert.False(version.Find("RESP")!.IsBillable);
            Assert.Contains("Tussis", version.Find("COUGH")!.Designations);
            var all = Assert.Single(bundle.ValueSets);
            var service = new TerminologyService();
            service.Add(version);
            service.Add(all);
            Assert.Equal(4, service.Expand("http://example.org/fhir/ValueSet/site-findings-all").Total);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_FHIR_package_tgz_gives_its_CodeSystems_and_ValueSets()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pkg-{Guid.NewGuid():N}.tgz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
        {
            void Add(string name, string text)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
                tar.WriteEntry(entry);
            }
            var json = new FhirJsonSerializer();
            Add("package/package.json", """{ "name": "example.site.findings", "version": "1.0.0" }""");
            Add("package/CodeSystem-site-findings.json", json.SerializeToString(SiteCodeSystem()));
            Add("package/ValueSet-respiratory.json", json.SerializeToString(RespiratoryValueSet()));
            Add("package/other/ignored.json", "{}");
        }
        try
        {
            var bundle = TerminologySource.Read(path);
            Assert.Equal("example.site.findings#1.0.0", bundle.Source);
            var service = new TerminologyService();
            foreach (var cs in bundle.CodeSystems) service.Add(cs);
            foreach (var vs in bundle.ValueSets) service.Add(vs);

            var expansion = service.Expand("http://example.org/fhir/ValueSet/respiratory");
            Assert.Equal(["COUGH", "WHEEZE"], expansion.Contains.Select(c => c.Code));
            Assert.False(service.ValidateInValueSet("http://example.org/fhir/ValueSet/respiratory", SiteSystem, "FEVER").Result);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Firely_terminology_interface_answers_from_the_store()
    {
        var service = new TerminologyService();
        service.Add(FhirTerminologyLoader.ToVersion(SiteCodeSystem()));
        Hl7.Fhir.Specification.Terminology.ITerminologyService firely = new FirelyTerminologyService(service);

        var valid = await firely.CodeSystemValidateCode(new Parameters().Add("url", new FhirUri(SiteSystem)).Add("code", new Code("COUGH")));
        var heading = await firely.CodeSystemValidateCode(new Parameters().Add("coding", new Coding(SiteSystem, "RESP")));
        var unknownSystem = await firely.ValueSetValidateCode(new Parameters().Add("url", new FhirUri(SiteSystem + "?fhir_vs")).Add("coding", new Coding("http://example.org/none", "X")));

        Assert.Equal("true", valid.Parameter.Single(p => p.Name == "result").Value!.ToString());
        Assert.Equal("false", heading.Parameter.Single(p => p.Name == "result").Value!.ToString());
        Assert.Equal("false", unknownSystem.Parameter.Single(p => p.Name == "result").Value!.ToString());
    }
}
