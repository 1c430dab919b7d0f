using Symphony.Coders.Rules;

namespace Symphony.Coders.Tests;

public class CodeRangeTests
{
    [Theory]
    [InlineData("C15-C26", "C18.9", true)]
    [InlineData("C15-C26", "C26.0", true)]
    [InlineData("C15-C26", "C30.0", false)]
    [InlineData("C30-C32, C37-C39", "C38.4", true)]
    [InlineData("C30-C32, C37-C39", "C34.90", false)]
    [InlineData("C40-C41; C45-C49", "C45.0", true)]
    [InlineData("C50.-", "C50.919", true)]
    [InlineData("C7A.098", "C7A.098", true)]
    [InlineData("C7A.098", "C7A.01", false)]
    [InlineData("O24.4-", "O24.410", true)]
    [InlineData("E08-E13", "E11.22", true)]
    [InlineData("E00-E07, E15-E88", "E11.9", false)]
    public void A_code_is_in_a_range_as_the_tabular_writes_it(string ranges, string code, bool inside) =>
        Assert.Equal(inside, CodeRanges.Parse(ranges)!.Contains(code));

    [Fact]
    public void Text_without_a_code_names_no_range() => Assert.Null(CodeRanges.Parse("family history of SIDS"));
}
