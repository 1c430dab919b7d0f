using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

/// <summary>What a site lexicon may teach the coder: only codes of its code systems, added to the generic knowledge.</summary>
public class SiteLexiconCodeTests(CodiEspDevFixture dev) : IClassFixture<CodiEspDevFixture>
{
    static readonly CodingOptions Spanish = new() { Language = Language.Spanish };

    /// <summary>The first dev notes in name order: real Spanish case reports.</summary>
    List<string> Notes => dev.Spanish.OrderBy(kv => kv.Key, StringComparer.Ordinal).Take(12).Select(kv => kv.Value).ToList();

    static string Coded(Coder coder, string note) => string.Join("; ", coder.Code(note, Spanish).Codes
        .Select(c => $"{c.Code} {string.Join(",", c.Spans.Select(s => $"{s.Start}+{s.Length}"))}").Order(StringComparer.Ordinal));

    [Theory]
    [InlineData(CodeSystems.Icd10Pcs, "3E0T3CZ", false)] // a CodiEsp gold code the 2026 release no longer has
    [InlineData(CodeSystems.Icd10Pcs, "5A1D00Z", false)]
    [InlineData(CodeSystems.Icd10Cm, "S19.9X", false)]  // a code cut short
    [InlineData(CodeSystems.Icd10Cm, "W19.XXX", false)] // without its 7th character
    [InlineData(CodeSystems.Icd10Cm, "W19.XXXA", true)]
    [InlineData(CodeSystems.Icd10Pcs, "0DTJ4ZZ", true)]
    [InlineData(CodeSystems.Icd10Pcs, "0DTJ", true)]    // a table prefix: sites record partial codes
    [InlineData(CodeSystems.Icd10Pcs, "0DTJ4", true)]
    [InlineData(CodeSystems.Icd10Pcs, "0DTJ9", false)]  // no code of the table has this approach
    public void A_code_of_the_release_or_a_partial_procedure_code_has_a_display_and_nothing_else_does(string system, string code, bool known) =>
        Assert.Equal(known, dev.Coder.CodeDisplay(system, code) is not null);

    [Fact]
    public void A_site_lexicon_entry_whose_code_the_release_does_not_have_changes_nothing_in_the_coders_output()
    {
        var none = dev.Coder.WithSiteLexicon([]);
        List<SiteLexiconEntry> unknown =
        [
            new("paciente", CodeSystems.Icd10Pcs, "3E0T3CZ", Language.Spanish, 0.9),
            new("dolor", CodeSystems.Icd10Pcs, "5A1D00Z", Language.Spanish, 0.9),
            new("fiebre", CodeSystems.Icd10Cm, "S19.9X", Language.Spanish, 0.9),
            new("hipertensión arterial", CodeSystems.Icd10Cm, "I10.X", Language.Spanish, 0),
        ];
        List<SiteLexiconEntry> known = [new("paciente", CodeSystems.Icd10Pcs, "0DTJ4ZZ", Language.Spanish, 0.9)];
        var withUnknown = dev.Coder.WithSiteLexicon(unknown);
        var withKnown = dev.Coder.WithSiteLexicon(known);
        var withBoth = dev.Coder.WithSiteLexicon([.. known, .. unknown]);
        foreach (var note in Notes)
        {
            Assert.DoesNotContain(withUnknown.Code(note, Spanish).Codes, c => unknown.Any(u => u.Code == c.Code));
            Assert.Equal(Coded(none, note), Coded(withUnknown, note));
            Assert.Equal(Coded(withKnown, note), Coded(withBoth, note));
        }
        // The same phrase with a code of the release is read: the notes say "paciente".
        Assert.Contains(Notes, note => withKnown.Code(note, Spanish).Codes.Any(c => c.Code == "0DTJ4ZZ"));
    }

    [Fact]
    public void A_small_site_lexicon_adds_to_the_generic_synonyms_and_gives_way_only_where_it_has_an_entry_for_the_code()
    {
        const string note = "Presenta adenopatías.";
        Assert.Contains(dev.Coder.WithSiteLexicon([]).Code(note, Spanish).Codes, c => c.Code == "R59.9"); // a generic synonym
        var small = dev.Coder.WithSiteLexicon([new("marcapasos", CodeSystems.Icd10Cm, "Z95.0", Language.Spanish, 0.9)]);
        Assert.Contains(small.Code(note, Spanish).Codes, c => c.Code == "R59.9");
        // A site whose coders decided how they write R59.9 is read with its own phrases for it, not the generic ones.
        var decided = dev.Coder.WithSiteLexicon([new("ganglios aumentados de tamaño", CodeSystems.Icd10Cm, "R59.9", Language.Spanish, 0.9)]);
        Assert.DoesNotContain(decided.Code(note, Spanish).Codes, c => c.Code == "R59.9");
        Assert.Contains(decided.Code("Ganglios aumentados de tamaño.", Spanish).Codes, c => c.Code == "R59.9");
        // As the site's phrase decides a phrase too: a site block on the synonym's own words.
        var blocked = dev.Coder.WithSiteLexicon([new("adenopatías", CodeSystems.Icd10Cm, "R59.1", Language.Spanish, 0)]);
        Assert.DoesNotContain(blocked.Code(note, Spanish).Codes, c => c.Code == "R59.9");
    }
}
