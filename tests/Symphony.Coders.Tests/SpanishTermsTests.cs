using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

public class SpanishTermsTests
{
    static readonly Coder Coder = new(SmallCodeSystem.Create(), null, sources: TermSources.Default | TermSources.NoSynonyms);
    static readonly CodingOptions Spanish = new() { Language = Language.Spanish };

    [Theory]
    [InlineData("Nephrolithiasis", "nefrolitiasis")]
    [InlineData("Dyspareunia", "dispareunia")]
    [InlineData("Hyperglycemia", "hiperglucemia")]
    [InlineData("Cystostomy", "cistostomía")]
    [InlineData("Urethrotomy", "uretrotomía")]
    [InlineData("Pyoderma gangrenosum", "pioderma gangrenoso")]
    [InlineData("Urethral stenosis", "estenosis uretral")]
    [InlineData("Renal agenesis", "agenesia renal")]
    [InlineData("Chronic kidney disease", "enfermedad renal crónica")]
    [InlineData("Essential hypertension", "hipertensión esencial")]
    [InlineData("Pneumothorax", "neumotórax")]
    [InlineData("Tracheostomy", "traqueostomía")]
    [InlineData("Kyphosis", "cifosis")]
    public void An_English_code_system_term_carried_over_to_Spanish_has_the_words_of_the_Spanish_name(string english, string spanish) =>
        Assert.Equal(TermMatcher.Signature(spanish, Language.Spanish), TermMatcher.Signature(SpanishTerms.Translate(english)!, Language.Spanish));

    [Theory]
    [InlineData("immunity", "inmunidad")]
    [InlineData("dysfunction", "disfuncion")]
    [InlineData("infection", "infeccion")]
    public void The_cognate_spelling_keeps_immuno_as_inmuno_and_nction_as_ncion(string english, string spanish) =>
        Assert.Equal(spanish, SpanishTerms.Cognate(english));

    [Theory]
    [InlineData("Fever without chills")]
    [InlineData("Hypertension due to kidney disease")]
    [InlineData("Type O blood")] // "O" is a Spanish function word: the term would read as "sangre"
    [InlineData("Acute hepatitis E")]
    public void A_term_whose_words_do_not_carry_over_one_by_one_is_left_out(string english) =>
        Assert.Null(SpanishTerms.Translate(english));

    [Fact]
    public void A_Spanish_note_is_coded_from_the_English_titles_without_a_site_lexicon()
    {
        var result = Coder.Code("Varón de 54 años con cólico renal derecho y fiebre. Neumonía en 2019.", Spanish);
        Assert.Equal(["J18.9", "N23", "R50.9"], result.Codes.Select(c => c.Code).Order(StringComparer.Ordinal));
        Assert.Equal("cólico renal derecho", result.Codes.Single(c => c.Code == "N23").Spans[0].Text);
    }

    [Fact]
    public void A_site_phrase_inside_a_longer_generic_term_is_still_coded()
    {
        const string note = "Cólico renal derecho desde ayer.";
        Assert.Equal(["N23"], Coder.Code(note, Spanish).Codes.Select(c => c.Code));
        var site = Coder.WithSiteLexicon([new SiteLexiconEntry("cólico", CodeSystems.Icd10Cm, "R10.83", Language.Spanish, 0.6)]);
        Assert.Equal(["N23", "R10.83"], site.Code(note, Spanish with { ResolveExcludes1 = false }).Codes.Select(c => c.Code).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_clinical_abbreviation_reads_as_the_site_phrase_it_abbreviates()
    {
        var site = Coder.WithSiteLexicon([new SiteLexiconEntry("hipertensión arterial", CodeSystems.Icd10Cm, "I10", Language.Spanish, 0.9)]);
        var code = Assert.Single(site.Code("Varón de 70 años con HTA y dislipemia.", Spanish).Codes);
        Assert.Equal(("I10", "HTA"), (code.Code, code.Spans[0].Text));
    }

    [Fact]
    public void A_site_lexicon_line_of_weight_0_stops_a_code_for_those_words_and_says_why()
    {
        const string note = "Paciente con fiebre y cólico renal.";
        var site = Coder.WithSiteLexicon([new SiteLexiconEntry("fiebre", CodeSystems.Icd10Cm, "R50.9", Language.Spanish, 0)]);
        var result = site.Code(note, Spanish);
        Assert.Equal(["N23"], result.Codes.Select(c => c.Code));
        Assert.Contains(result.Rejected, r => r.Code == "R50.9" && r.Reason.Contains("rarely"));
    }
}

/// <summary>
/// Spanish notes coded zero-shot (no site lexicon, no synonym list) against the shipped ICD-10-CM titles,
/// through glossary words whose regular cognate spelling is not Spanish (pallor → palidez, not "palor";
/// abscess → absceso; hypokalemia → hipopotasemia; palsy → parálisis).
/// </summary>
public class SpanishGlossaryTests
{
    static readonly Lazy<Coder> Coder = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, null, sources: TermSources.Default | TermSources.NoSynonyms));
    static readonly CodingOptions Spanish = new() { Language = Language.Spanish };

    [Theory]
    [InlineData("A la exploración destaca palidez cutánea.", "R23.1", "palidez")]
    [InlineData("Analítica con hipopotasemia de 2,9 mEq/l.", "E87.6", "hipopotasemia")]
    [InlineData("Parálisis facial periférica izquierda.", "G51.0", "Parálisis facial")]
    [InlineData("La TC craneal mostró hidrocefalia.", "G91.9", "hidrocefalia")]
    [InlineData("Se diagnosticó un absceso esplénico.", "D73.3", "absceso esplénico")]
    [InlineData("Taquicardia a 120 lpm.", "R00.0", "Taquicardia")]
    [InlineData("Amigdalitis aguda.", "J03.90", "Amigdalitis aguda")]
    [InlineData("Anemia por déficit de hierro.", "D50.9", "Anemia por déficit de hierro")]
    [InlineData("Infección por Staphylococcus aureus resistente a meticilina.", "A49.02", "Infección por Staphylococcus aureus resistente a meticilina")]
    public void A_Spanish_sentence_is_coded_through_a_title_carried_over_with_the_glossary(string note, string code, string quoted)
    {
        var coded = Assert.Single(Coder.Value.Code(note, Spanish).Codes);
        Assert.Equal((code, quoted), (coded.Code, coded.Spans[0].Text));
    }

    [Fact]
    public void Two_glossary_conditions_in_one_sentence_are_both_coded() =>
        Assert.Equal(["E86.0", "R41.0"], Coder.Value.Code("Desorientación y deshidratación al ingreso.", Spanish).Codes.Select(c => c.Code).Order(StringComparer.Ordinal));

    [Theory]
    [InlineData("Pallor", "palidez")]
    [InlineData("Hypokalemia", "hipopotasemia")]
    [InlineData("Facial palsy", "parálisis facial")]
    [InlineData("Abscess of spleen", "absceso esplénico")]
    [InlineData("Acute tonsillitis", "amigdalitis aguda")]
    [InlineData("Emphysema", "enfisema")]
    [InlineData("Iron deficiency anemia", "anemia por déficit de hierro")]
    [InlineData("Methicillin resistant Staphylococcus aureus infection", "infección por estafilococo aureus resistente a meticilina")]
    [InlineData("False labor", "falso trabajo de parto")] // labor is not just "parto", which every obstetric note says
    public void A_title_word_with_an_irregular_Spanish_form_is_read_through_the_glossary(string english, string spanish) =>
        Assert.Equal(TermMatcher.Signature(spanish, Language.Spanish), TermMatcher.Signature(SpanishTerms.Translate(english)!, Language.Spanish));
}

public class TitleVariantTests
{
    [Fact]
    public void A_title_naming_two_one_word_conditions_names_each_of_them() =>
        Assert.Equal(["Hypo-osmolality and hyponatremia", "Hypo-osmolality", "hyponatremia"], TerminologyTerms.Variants("Hypo-osmolality and hyponatremia"));

    [Fact]
    public void A_longer_title_with_and_is_not_split() =>
        Assert.DoesNotContain("joints", TerminologyTerms.Variants("Malignant neoplasm of bone and articular cartilage of limbs"));
}

public class TrailingUnspecifiedTests
{
    [Theory]
    [InlineData("Pneumonia, unspecified organism", "Pneumonia")]
    [InlineData("Constipation, unspecified", "Constipation")]
    [InlineData("Duodenal ulcer, unspecified as acute or chronic, without hemorrhage or perforation", "Duodenal ulcer")]
    public void A_title_that_leaves_only_the_organism_type_or_course_open_also_reads_as_the_condition(string title, string shortened) =>
        Assert.Contains(shortened, TerminologyTerms.Variants(title));

    [Theory]
    [InlineData("Fistula, unspecified joint", "Fistula")]
    [InlineData("Staphylococcal arthritis, unspecified hand", "Staphylococcal arthritis")]
    [InlineData("Ulcerative colitis, unspecified with rectal bleeding", "Ulcerative colitis")]
    public void A_title_that_names_a_place_or_a_complication_keeps_it(string title, string generic) =>
        Assert.DoesNotContain(generic, TerminologyTerms.Variants(title));
}
