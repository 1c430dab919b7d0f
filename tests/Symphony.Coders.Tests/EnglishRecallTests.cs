using Symphony.Coders.Lexicon;

namespace Symphony.Coders.Tests;

/// <summary>
/// English knowledge from the code system's index and tables, and curated word forms, on sentences as MTSamples and
/// Synthea notes write them: index cross-references as word equivalents, site + condition index entries, the Neoplasm
/// Table's phrasings and site forms, "acquired" as a nonessential modifier, procedure names and PCS index readings.
/// </summary>
public class EnglishRecallTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    static List<string> Codes(string note, bool everyMention = false) =>
        Shipped.Value.Code(note, new CodingOptions { Setting = CareSetting.Inpatient, CodeEveryMention = everyMention }).Codes.Select(c => c.Code).ToList();

    [Theory]
    [InlineData("NEUROLOGIC: Cranial nerves intact. Exam revealed left hemiparesis.", "G81.9")]   // Hemiparesis — see Hemiplegia
    [InlineData("She has had progressive paraparesis over two months.", "G82.20")]                // Paraparesis — see Paraplegia
    [InlineData("SKIN: Diffuse pruritic excoriations over both forearms.", "L29.9")]             // pruritic = pruritus
    [InlineData("CT of the head showed hydrocephaly.", "G91.9")]
    [InlineData("Brucella infection was diagnosed on blood cultures.", "A23.9")]                 // Infection, Brucella — see Brucellosis
    [InlineData("CHEST X-RAY: Bilateral infiltrates consistent with CMV pneumonitis.", "B25.0")] // cytomegaloviral = cytomegalovirus, CMV
    [InlineData("Endoscopy showed a GIST of the stomach.", "C49.A2")]
    public void A_word_form_the_index_sends_to_a_main_term_reads_as_that_term(string note, string expected) =>
        Assert.Contains(Codes(note), c => c.StartsWith(expected, StringComparison.Ordinal));

    [Theory]
    [InlineData("CT abdomen showed a 2 cm renal lesion, likely a cyst.", "N28.9")]                 // Lesion, kidney
    [InlineData("NECK: There is bilateral cervical lymphadenopathy.", "R59.0")]                   // Enlarged, lymph node, localized
    [InlineData("Bilateral inguinal adenopathy was noted on exam.", "R59.0")]
    [InlineData("Pathology showed lymph node metastases.", "C77.9")]
    public void A_site_and_a_condition_read_as_the_index_entry_under_the_condition(string note, string expected) =>
        Assert.Contains(expected, Codes(note));

    [Fact]
    public void A_lymphadenopathy_named_by_its_region_is_localized_not_unspecified()
    {
        var codes = Codes("NECK: There is bilateral cervical lymphadenopathy.");
        Assert.DoesNotContain("R59.9", codes);
    }

    [Fact]
    public void A_trailing_acquired_is_optional_unless_the_note_says_congenital()
    {
        Assert.Contains("N28.1", Codes("Ultrasound: A simple renal cyst was seen in the upper pole."));
        Assert.Contains("I77.0", Codes("Angiography showed an arteriovenous fistula of the femoral vessels."));
        Assert.DoesNotContain("N28.1", Codes("He has a congenital renal cyst."));
    }

    [Theory]
    [InlineData("PAST MEDICAL HISTORY: Carcinoma of the vagina treated with radiation.", "C52")]   // "vagina, vaginal" read as either form
    [InlineData("Uterine neoplasia was seen on the ultrasound.", "D49.59")]                         // "uterus, uteri, uterine"
    [InlineData("Sestamibi scan localized a parathyroid adenoma.", "D35.1")]                         // Adenoma — see Neoplasm, benign
    [InlineData("CT showed a malignancy of the pancreas.", "C25.9")]                                 // Malignancy — see Neoplasm, malignant
    public void A_neoplasm_named_by_site_and_histology_reads_through_the_neoplasm_table(string note, string expected) =>
        Assert.Contains(expected, Codes(note));

    [Fact]
    public void A_past_malignancy_named_with_malignancy_gets_its_history_code() =>
        Assert.Contains("Z85.3", Codes("PAST MEDICAL HISTORY: History of breast malignancy, status post lumpectomy, no current treatment."));

    [Theory]
    [InlineData("Fundoscopy of the left eye was normal.", "08J1XZZ")]
    [InlineData("Digital rectal examination revealed an enlarged prostate.", "0DJDXZZ")]
    [InlineData("An exploratory laparotomy was performed.", "0WJG0ZZ")]
    [InlineData("Diagnostic laparoscopy was performed with no findings.", "0WJG4ZZ")]
    public void A_procedure_name_that_states_the_approach_gives_the_whole_code(string note, string expected) =>
        Assert.Contains(expected, Codes(note, everyMention: true));

    [Fact]
    public void A_blood_pressure_reading_is_no_procedure()
    {
        var result = Shipped.Value.Code("VITAL SIGNS: Blood pressure 120/80, pulse 72, temperature 98.6.", new CodingOptions { Setting = CareSetting.Inpatient, CodeEveryMention = true });
        Assert.DoesNotContain(result.Codes, c => c.System == CodeSystems.Icd10Pcs && c.Code.StartsWith("4A03", StringComparison.Ordinal));
        Assert.True(Rules.ProcedureReporting.Readings.Contains("Blood pressure"));
    }

    [Fact]
    public void Every_neoplasm_phrase_names_a_column_of_the_shipped_table_and_a_source()
    {
        var columns = ShippedCodeSystems.Icd10Cm.Value.IndexEntries.Where(e => e.Index == "neoplasm" && e.Column is not null)
            .Select(e => e.Column!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var lines = Text.LanguageData.ReadLines("neoplasm-phrases-en.tsv").Select(l => l.Split('\t')).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, f => Assert.True(columns.Contains(f[0]), $"{f[0]} is no column of the Neoplasm Table"));
        Assert.All(lines, f => Assert.Contains("{site}", f[1]));
        Assert.All(lines, f => Assert.False(string.IsNullOrWhiteSpace(f.ElementAtOrDefault(2)), $"{f[1]} has no source"));
    }
}
