using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Tests;

/// <summary>Procedures named as notes name them, composed with the shipped ICD-10-PCS tables.</summary>
public class ProcedureTermsTests
{
    static readonly Lazy<CodeSystemVersion> Pcs = ShippedCodeSystems.Icd10Pcs;
    static readonly Lazy<Coder> Coder = new(() => new Coder(null, Pcs.Value, sources: TermSources.Default | TermSources.NoSynonyms));

    static CodedConcept Single(string note, Language language, string code)
    {
        // What the names compose to, as named: real coding then reports no imaging (ReportingRuleTests).
        var result = Coder.Value.Code(note, new CodingOptions { Language = language, CodeEveryMention = true });
        var coded = Assert.Single(result.Codes, c => c.Code == code);
        Assert.Equal(CodeSystems.Icd10Pcs, coded.System);
        return coded;
    }

    [Theory]
    [InlineData("Se realizó nefrectomía radical derecha por laparoscopia.", Language.Spanish, "0TT0", "nefrectomía radical derecha")]
    [InlineData("Un año después se practicó nefrectomía izquierda.", Language.Spanish, "0TT1", "nefrectomía izquierda")]
    [InlineData("A right radical nephrectomy was performed.", Language.English, "0TT0", "right radical nephrectomy")]
    [InlineData("Se realizó orquiectomía radical izquierda.", Language.Spanish, "0VTB", "orquiectomía radical izquierda")]
    public void A_one_word_operation_on_a_body_part_takes_its_side_from_the_table(string note, Language language, string code, string quote) =>
        Assert.Equal(quote, Single(note, language, code).Spans[0].Text);

    [Theory]
    [InlineData("La ecografía renal izquierda mostró ectasia pielocalicial.", Language.Spanish, "BT42ZZZ", "ecografía renal izquierda")]
    [InlineData("Left renal ultrasound showed hydronephrosis.", Language.English, "BT42ZZZ", "Left renal ultrasound")]
    public void An_imaging_type_and_a_body_part_compose_and_a_prefix_with_one_code_is_reported_as_that_code(string note, Language language, string code, string quote) =>
        Assert.Equal(quote, Single(note, language, code).Spans[0].Text);

    [Theory]
    [InlineData("La ecografía renal fue normal salvo una ectasia.", Language.Spanish, "BT43ZZZ")]
    [InlineData("Renal ultrasound showed a simple cyst.", Language.English, "BT43ZZZ")]
    public void An_image_of_a_paired_organ_that_names_no_side_shows_both(string note, Language language, string code) =>
        Single(note, language, code);

    [Theory]
    [InlineData("Se practicó resección transuretral vesical del tumor.", Language.Spanish, "0TBB8ZZ")]
    [InlineData("A transurethral resection of the bladder tumour was performed.", Language.English, "0TBB8ZZ")]
    [InlineData("Se colocó una nefrostomía percutánea izquierda.", Language.Spanish, "0T9430Z")]
    [InlineData("Se realizó orquiectomía radical inguinal izquierda.", Language.Spanish, "0VTB0ZZ")] // inguinal: open
    public void A_name_that_fixes_the_approach_gives_the_whole_code(string note, Language language, string code) =>
        Single(note, language, code);

    [Theory]
    [InlineData("En el TAC abdominopélvico no se observaron adenopatías.", Language.Spanish, "BW21")]
    [InlineData("Abdominopelvic CT was normal.", Language.English, "BW21")]
    [InlineData("Se tomó una biopsia hepática.", Language.Spanish, "0FB0")]
    public void A_prefix_whose_table_allows_several_codes_stays_at_four_characters(string note, Language language, string code) =>
        Assert.Equal(4, Single(note, language, code).Code.Length);

    [Theory]
    [InlineData("Se le practicó una colonoscopia que fue normal.", Language.Spanish, "0DJD8ZZ")]
    [InlineData("Colonoscopy showed a polyp in the sigmoid colon.", Language.English, "0DJD8ZZ")]
    [InlineData("Se realizó una punción lumbar.", Language.Spanish, "009U3ZX")]
    public void A_procedure_whose_name_fixes_its_code_gets_the_whole_code(string note, Language language, string code) =>
        Single(note, language, code);

    [Theory]
    [InlineData("procedures-en.tsv")]
    [InlineData("procedures-es.tsv")]
    public void Every_code_and_label_the_vocabulary_names_exists_in_the_tables(string file)
    {
        var pcs = Pcs.Value;
        var operations = pcs.Concepts.Values.Where(c => c.Code.Length == 3).Select(c => c.Display.Split(", ")[^1]).ToHashSet(StringComparer.Ordinal);
        // Body parts as the vocabulary names them: the 4th-character label without its side, singular or plural.
        var bodyParts = pcs.Concepts.Values.Where(c => c.Code.Length == 4).SelectMany(c => c.Properties.Values)
            .Select(label => System.Text.RegularExpressions.Regex.Replace(label, ", (Right|Left|Bilateral)$", ""))
            .SelectMany(label => new[] { label, label.TrimEnd('s') }).ToHashSet(StringComparer.Ordinal);
        foreach (var fields in LanguageData.ReadLines(file).Select(line => line.Split('\t')))
            switch (fields[0])
            {
                case "named": Assert.True(pcs.Find(fields[1]) is not null, $"{file}: {fields[1]} is not an ICD-10-PCS code"); break;
                case "operation": Assert.True(operations.Contains(fields[1]), $"{file}: no table names the operation '{fields[1]}'"); break;
                case "bodypart": Assert.True(bodyParts.Contains(fields[1]), $"{file}: no table has the body part '{fields[1]}'"); break;
                case "fused":
                    Assert.True(operations.Contains(fields[1]), $"{file}: no table names the operation '{fields[1]}'");
                    Assert.True(bodyParts.Contains(fields[2]), $"{file}: no table has the body part '{fields[2]}'");
                    break;
            }
    }
}
