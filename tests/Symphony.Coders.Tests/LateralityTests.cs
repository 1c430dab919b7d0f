using Symphony.Coders.Lexicon;
using Symphony.Coders.Rules;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

/// <summary>A side the note states turns a code that leaves the side unspecified into its sided sibling (shipped ICD-10-CM titles).</summary>
public class LateralityTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, null, sources: TermSources.Default | TermSources.NoSynonyms));
    static readonly CodingOptions Spanish = new() { Language = Language.Spanish };

    [Theory]
    [InlineData("C64.9", Side.Right, "C64.1")]   // unspecified kidney → right kidney
    [InlineData("C64.9", Side.Left, "C64.2")]
    [InlineData("S72.009", Side.Left, "S72.002")] // … of unspecified femur → … of left femur (before the 7th character)
    [InlineData("I82.409", Side.Right, "I82.401")] // unspecified lower extremity → right lower extremity
    [InlineData("H53.419", Side.Bilateral, "H53.413")] // ", unspecified eye" → ", bilateral"
    [InlineData("H02.409", Side.Right, "H02.401")] // second "unspecified" of "Unspecified ptosis of unspecified eyelid"
    public void A_code_that_leaves_the_side_unspecified_becomes_the_sibling_that_names_it(string code, Side side, string expected)
    {
        var cm = ShippedCodeSystems.Icd10Cm.Value;
        Assert.Equal(expected, LateralityRule.Refine(cm, cm.Find(code)!, side)?.Code);
    }

    [Theory]
    [InlineData("C64.1", Side.Left)]  // the side is already stated
    [InlineData("J18.9", Side.Right)] // pneumonia has no sided siblings
    [InlineData("C64.9", Side.Bilateral)] // no bilateral kidney code: stays unspecified
    public void A_code_without_a_sibling_for_the_side_is_left_as_it_is(string code, Side side)
    {
        var cm = ShippedCodeSystems.Icd10Cm.Value;
        Assert.Null(LateralityRule.Refine(cm, cm.Find(code)!, side));
    }

    [Fact]
    public void A_site_phrase_without_a_side_takes_the_side_stated_after_it()
    {
        var coder = Shipped.Value.WithSiteLexicon([new SiteLexiconEntry("adenocarcinoma renal", CodeSystems.Icd10Cm, "C64.9", Language.Spanish, 0.9)]);
        var code = Assert.Single(coder.Code("Adenocarcinoma renal derecho de 4 cm.", Spanish).Codes);
        Assert.Equal("C64.1", code.Code);
        Assert.Contains("laterality:C64.9→C64.1 (right)", code.Rules);
    }

    [Fact]
    public void The_quote_of_a_sided_code_runs_to_the_words_that_state_the_side()
    {
        var coder = Shipped.Value.WithSiteLexicon([new SiteLexiconEntry("seminoma", CodeSystems.Icd10Cm, "C62.90", Language.Spanish, 0.9)]);
        var code = Assert.Single(coder.Code("Seminoma en el testículo derecho, de 2 cm.", Spanish).Codes);
        Assert.Equal("C62.91", code.Code);
        Assert.Equal(["Seminoma en el testículo derecho"], code.Spans.Select(s => s.Text));
    }

    [Fact]
    public void The_ophthalmic_abbreviations_name_the_eye()
    {
        var coder = Shipped.Value.WithSiteLexicon([new SiteLexiconEntry("ptosis palpebral", CodeSystems.Icd10Cm, "H02.409", Language.Spanish, 0.9)]);
        Assert.Equal("H02.401", Assert.Single(coder.Code("Ptosis palpebral OD.", Spanish).Codes).Code);
        Assert.Equal("H02.403", Assert.Single(coder.Code("Ptosis palpebral AO.", Spanish).Codes).Code);
    }

    [Fact]
    public void A_side_in_another_clause_does_not_belong_to_the_mention()
    {
        var coder = Shipped.Value.WithSiteLexicon([new SiteLexiconEntry("adenocarcinoma renal", CodeSystems.Icd10Cm, "C64.9", Language.Spanish, 0.9)]);
        Assert.Equal("C64.9", Assert.Single(coder.Code("Adenocarcinoma renal, con dolor en el flanco derecho.", Spanish).Codes).Code);
    }

    [Fact]
    public void An_english_default_child_takes_the_stated_side()
    {
        // "Scotoma involving central area" is the subcategory H53.41; its default child H53.419 leaves the eye unspecified.
        var result = Shipped.Value.Code("Scotoma involving central area in both eyes.");
        Assert.Contains(result.Codes, c => c.Code == "H53.413" && c.Rules.Contains("laterality:H53.419→H53.413 (bilateral)"));
    }

    [Fact]
    public void Right_and_left_stated_together_read_as_bilateral()
    {
        var tokens = Tokenizer.Tokenize("Cataratas en ojo derecho e izquierdo.", Language.Spanish);
        var match = new TermMatch(0, [0]);
        Assert.Equal(Side.Bilateral, LateralityRule.StatedSide(tokens, match, tokens.Tokens.Length)?.Side);
    }
}
