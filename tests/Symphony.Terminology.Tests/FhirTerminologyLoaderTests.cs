using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
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
            Assert.Contains(new Designation("Tussis"), version.Find("COUGH")!.Designations);
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
    public void Designations_keep_their_language_and_use_and_child_properties_link_the_hierarchy()
    {
        var cs = new CodeSystem
        {
            Url = "http://example.org/fhir/CodeSystem/flat", Version = "1", Language = "en", Status = PublicationStatus.Active, Content = CodeSystemContentMode.Complete,
            Property = [new() { Code = "child", Type = CodeSystem.PropertyType.Code }, new() { Code = "subsumedBy", Type = CodeSystem.PropertyType.Code }],
            Concept =
            [
                new() { Code = "LUNG", Display = "Lung disease", Property = [new() { Code = "child", Value = new Code("PNEU") }] },
                new()
                {
                    Code = "PNEU", Display = "Pneumonia",
                    Designation = [new() { Language = "es", Use = new Coding("http://snomed.info/sct", "900000000000013009"), Value = "Neumonía" }],
                },
                new() { Code = "ASTHMA", Display = "Asthma", Property = [new() { Code = "subsumedBy", Value = new Code("LUNG") }] },
            ],
        };

        var version = FhirTerminologyLoader.ToVersion(cs);

        Assert.Equal("en", version.Language);
        Assert.Equal(new Designation("Neumonía", "es", "900000000000013009"), Assert.Single(version.Find("PNEU")!.Designations));
        Assert.Equal("LUNG", version.Find("PNEU")!.ParentCode);
        Assert.Equal("LUNG", version.Find("ASTHMA")!.ParentCode);
        Assert.Equal(["PNEU", "ASTHMA"], version.Find("LUNG")!.Children);

        var read = CompiledCodeSystem.FromSnapshot(new CompiledCodeSystem(version).ToSnapshot(), version.Url, version.Version)!;
        Assert.Equal("en", read.Version.Language);
        Assert.Equal(version.Find("PNEU")!.Designations, read.Find("PNEU")!.Designations);
    }

    [Fact]
    public void Designations_stored_as_plain_strings_read_back_and_plain_ones_are_still_written_so()
    {
        var read = System.Text.Json.JsonSerializer.Deserialize<List<Designation>>("""["Tussis", {"value": "Tos", "language": "es", "use": "synonym"}]""")!;

        Assert.Equal([new Designation("Tussis"), new Designation("Tos", "es", "synonym")], read);
        Assert.Equal("""["Tussis",{"value":"Tos","language":"es","use":"synonym"}]""", System.Text.Json.JsonSerializer.Serialize(read));
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
            // Names CodeSystems and is not valid R4 (a page without its name), as in hl7.terminology.r4 7.0.1: not read.
            Add("package/ImplementationGuide-example.json", """{ "resourceType": "ImplementationGuide", "definition": { "resource": [{ "reference": { "reference": "CodeSystem/site-findings" } }], "page": { "title": "Home" } } }""");
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
