using Symphony.Coders.Rules;

namespace Symphony.Coders.Tests;

/// <summary>Guidelines I.B.18: a code that leaves the site unknown is not reported beside one that names it.</summary>
public class UnspecifiedSiteTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    [Fact]
    public void A_neoplasm_of_unknown_site_and_behavior_is_left_out_when_the_note_names_the_tumor()
    {
        const string note = "CT showed a neoplasm. Biopsy confirmed malignant neoplasm of prostate.";
        var result = Shipped.Value.Code(note);
        Assert.Contains(result.Codes, c => c.Code == "C61");
        Assert.DoesNotContain(result.Codes, c => c.Code == "D49.9");
        Assert.Contains(result.Rejected, r => r.Code == "D49.9" && r.Reason.StartsWith(UnspecifiedSite.Name));
    }

    [Fact]
    public void A_neoplasm_of_unknown_site_alone_is_still_coded()
    {
        Assert.Contains(Shipped.Value.Code("CT showed a neoplasm.").Codes, c => c.Code == "D49.9");
    }

    [Theory]
    [InlineData(new[] { "D49.9", "C64.1" }, "D49.9")]
    [InlineData(new[] { "C80.1", "C18.9" }, "C80.1")]
    [InlineData(new[] { "T14.90XA", "S72.001A" }, "T14.90XA")]
    [InlineData(new[] { "T14.90", "S72.001A" }, "T14.90")]
    [InlineData(new[] { "C80.1", "C79.51" }, null)]
    public void The_table_says_which_codes_name_the_site(string[] codes, string? leftOut)
    {
        var dropped = UnspecifiedSite.LeftOut(codes.ToHashSet());
        if (leftOut is null) Assert.Empty(dropped);
        else Assert.Equal(leftOut, Assert.Single(dropped).Code);
    }
}
