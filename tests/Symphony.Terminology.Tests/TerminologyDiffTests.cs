using Symphony.Terminology.Services;

namespace Symphony.Terminology.Tests;

public class TerminologyDiffTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Fact]
    public void FY2021_to_FY2024_lists_added_deleted_and_revised_codes()
    {
        var fy2021 = fixture.Service.Resolve(Loaders.Icd10CmLoader.Url, "2021").Version;
        var fy2024 = fixture.Service.Resolve(Loaders.Icd10CmLoader.Url, "2024").Version;

        var diff = TerminologyDiff.Compare(fy2021, fy2024);

        Assert.Contains(diff.Added, c => c.Code == "U09.9");           // post COVID-19 condition, FY2022
        Assert.Contains(diff.Deleted, c => c.Code == "T40.7X1");       // cannabis poisoning split in FY2023
        var lymphoma = Assert.Single(diff.Revised, r => r.Code == "C84.40");
        Assert.Contains("not elsewhere classified", lymphoma.NewDisplay);
        Assert.Contains(diff.Revised, r => r.Code == "B37.3" && r.OldBillable && !r.NewBillable);
        Assert.DoesNotContain(diff.Deleted, c => c.Kind is "chapter" or "section");
        Assert.DoesNotContain(diff.Revised, r => r.Code == "E11.22");
    }
}
