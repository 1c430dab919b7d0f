using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;
using Symphony.Terminology.Services;

namespace Symphony.Terminology.Tests;

public sealed class ServiceFixture
{
    public TerminologyService Service { get; } = new();

    public ServiceFixture()
    {
        Service.Add(ShippedTerminology.LoadIcd10Cm("2021"));
        Service.Add(ShippedTerminology.LoadIcd10Cm("2024"));
    }
}

public class TerminologyServiceTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    const string Cm = Icd10CmLoader.Url;
    readonly TerminologyService service = fixture.Service;

    [Fact]
    public void Lookup_gives_display_parent_and_children()
    {
        var result = service.Lookup(Cm, "E11.22", version: "2021");
        Assert.Equal("Type 2 diabetes mellitus with diabetic chronic kidney disease", result.Concept.Display);
        Assert.Equal("E11.2", result.Parent!.Code);
        Assert.Contains(service.Lookup(Cm, "E11.2", "2021").Children, c => c.Code == "E11.22");
    }

    [Fact]
    public void Lookup_accepts_codes_without_dot_and_in_lower_case() =>
        Assert.Equal("E11.22", service.Lookup(Cm, "e1122", "2021").Concept.Code);

    [Theory]
    [InlineData("S52.521A", true)]
    [InlineData("T81.40XA", true)]
    [InlineData("S52.521", false)]
    [InlineData("X99.99", false)]
    public void Validate_code_accepts_only_reportable_codes(string code, bool valid)
    {
        var result = service.ValidateCode(Cm, code, version: "2021");
        Assert.Equal(valid, result.Result);
        Assert.Equal("2021", result.Version);
    }

    [Fact]
    public void Validate_code_explains_a_heading_and_an_unknown_code()
    {
        Assert.Contains("not valid for reporting; use a more specific code, e.g. S52.521A", service.ValidateCode(Cm, "S52.521", "2021").Message);
        Assert.Contains("Unknown code 'X99.99'", service.ValidateCode(Cm, "X99.99", "2021").Message);
    }

    [Fact]
    public void Validate_code_checks_the_display()
    {
        Assert.True(service.ValidateCode(Cm, "I10", "2021", display: "Essential (primary) hypertension").Result);
        Assert.False(service.ValidateCode(Cm, "I10", "2021", display: "Diabetes").Result);
    }

    [Fact]
    public void The_version_in_force_is_chosen_by_date_with_the_fiscal_year_starting_1_October()
    {
        Assert.Equal("2021", service.Resolve(Cm, date: new DateOnly(2021, 9, 30)).Version.Version);
        Assert.Equal("2021", service.Resolve(Cm, date: new DateOnly(2020, 10, 1)).Version.Version);
        Assert.Equal("2024", service.Resolve(Cm, date: new DateOnly(2023, 10, 1)).Version.Version);
        Assert.Equal("2024", service.Resolve(Cm).Version.Version);
        // Codes added after FY2021 exist only in the later version.
        Assert.False(service.ValidateCode(Cm, "U09.9", date: new DateOnly(2020, 12, 1)).Result);
        Assert.True(service.ValidateCode(Cm, "U09.9", date: new DateOnly(2023, 12, 1)).Result);
    }

    [Fact]
    public void Unknown_system_or_version_is_not_found()
    {
        Assert.Throws<TerminologyNotFoundException>(() => service.ValidateCode("http://example.org/nothing", "A"));
        Assert.Throws<TerminologyNotFoundException>(() => service.Lookup(Cm, "E11.22", version: "1999"));
    }

    [Fact]
    public void Subsumes_follows_the_tree()
    {
        Assert.Equal(SubsumptionOutcome.Subsumes, service.Subsumes(Cm, "E11", "E11.22", "2021"));
        Assert.Equal(SubsumptionOutcome.SubsumedBy, service.Subsumes(Cm, "S52.521A", "S52", "2021"));
        Assert.Equal(SubsumptionOutcome.Equivalent, service.Subsumes(Cm, "I10", "I10", "2021"));
        Assert.Equal(SubsumptionOutcome.NotSubsumed, service.Subsumes(Cm, "I10", "E11.22", "2021"));
    }

    [Fact]
    public void Expand_with_a_text_filter_ranks_the_best_match_near_the_top()
    {
        var expansion = service.Expand(Cm + "?fhir_vs", filter: "type 2 diabetes kidney", count: 10);
        Assert.InRange(expansion.Total, 1, 50);
        Assert.Contains("E11.22", expansion.Contains.Take(5).Select(c => c.Code));
        Assert.All(expansion.Contains, c => Assert.StartsWith("E11.2", c.Code));
    }

    [Fact]
    public void Expand_pages_with_offset_and_count()
    {
        var first = service.Expand(Cm + "?fhir_vs=isa/E11.2", count: 3);
        var second = service.Expand(Cm + "?fhir_vs=isa/E11.2", offset: 3, count: 3);
        Assert.Equal(4, first.Total); // E11.2, E11.21, E11.22, E11.29 in order-file order
        Assert.Equal(["E11.2", "E11.21", "E11.22"], first.Contains.Select(c => c.Code));
        Assert.Equal(["E11.29"], second.Contains.Select(c => c.Code).Take(1));
    }

    [Fact]
    public void Expand_of_a_composed_value_set_applies_includes_filters_and_excludes()
    {
        var vs = new ValueSetDefinition("http://example.org/vs/diabetes-billable", null, null,
            Include: [new ValueSetRule(Cm, "2021", [], [new("concept", "is-a", "E11"), new("billable", "=", "true")], [])],
            Exclude: [new ValueSetRule(Cm, "2021", [], [new("concept", "is-a", "E11.3")], [])]);
        service.Add(vs);

        var expansion = service.Expand(vs.Url, count: 1000);
        var codes = expansion.Contains.Select(c => c.Code).ToList();
        Assert.Contains("E11.22", codes);
        Assert.DoesNotContain("E11.2", codes);
        Assert.DoesNotContain(codes, c => c.StartsWith("E11.3", StringComparison.Ordinal));
        Assert.True(service.ValidateInValueSet(vs.Url, Cm, "E11.9").Result);
        Assert.False(service.ValidateInValueSet(vs.Url, Cm, "E11.321").Result);
        Assert.False(service.ValidateInValueSet(vs.Url, Cm, "I10").Result);
        var descendants = service.Expand(new ValueSetDefinition("urn:x", null, null, [new ValueSetRule(Cm, "2021", [], [new("concept", "descendent-of", "E11.2")], [])], []));
        Assert.Equal(["E11.21", "E11.22", "E11.29"], descendants.Contains.Select(c => c.Code));
    }
}
