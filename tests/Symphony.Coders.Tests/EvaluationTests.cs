using Symphony.Coders.Evaluation;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

public class EvaluationTests
{
    [Fact]
    public void Micro_scores_and_map_follow_the_ranked_lists()
    {
        var gold = new Dictionary<string, HashSet<string>> { ["a"] = ["x", "y"], ["b"] = ["z"] };
        var ranked = new Dictionary<string, List<string>> { ["a"] = ["x", "q", "y"], ["b"] = ["w"] };
        var s = CodiEspScorer.ScoreCodes(ranked, gold);
        Assert.Equal(2, s.TruePositives);
        Assert.Equal(2.0 / 4, s.Precision, 6);
        Assert.Equal(2.0 / 3, s.Recall, 6);
        // a: (1/1 + 2/3) / 2; b: 0.
        Assert.Equal((1 + 2.0 / 3) / 2 / 2, s.MeanAveragePrecision!.Value, 6);
    }

    [Fact]
    public void A_predicted_span_counts_when_it_contains_the_gold_span_within_ten_characters_each_side()
    {
        var gold = new List<CodiEspMention> { new("d", "n23", false, "cólico renal", 100, 112) };
        Scores Score(int start, int end, string code = "n23") => CodiEspScorer.ScoreMentions([new("d", code, false, "", start, end)], gold);
        Assert.Equal(1, Score(100, 112).TruePositives);
        Assert.Equal(1, Score(90, 122).TruePositives);
        Assert.Equal(0, Score(89, 112).TruePositives);
        Assert.Equal(0, Score(101, 112).TruePositives);
        Assert.Equal(0, Score(100, 112, "r52").TruePositives);
    }

    [Fact]
    public void The_basis_file_lists_each_ranked_code_with_its_confidence_and_what_it_is_made_of()
    {
        var coder = new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value);
        const string text = "A 62-year-old man was admitted for hematuria. CT showed a renal lesion and retroperitoneal lymphadenopathy.";
        var result = coder.Code(text, new CodingOptions { CodeEveryMention = true });
        var dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            CodiEspWriter.Write(dir, [CodiEspPrediction.From("S1", text, result)]);
            var lines = File.ReadAllLines(Path.Combine(dir, "basis.tsv")).Select(l => l.Split('\t')).ToList();
            var diagnoses = File.ReadAllLines(Path.Combine(dir, "D.tsv")).Select(l => l.Split('\t')[1]).ToList();
            // Diagnoses first, in the ranked order of D.tsv.
            Assert.Equal(diagnoses, lines.Take(diagnoses.Count).Select(f => f[1]));
            var lesion = Assert.Single(lines, f => f[1] == "n28.9");
            Assert.Equal(result.Codes.Single(c => c.Code == "N28.9").Confidence, double.Parse(lesion[2], System.Globalization.CultureInfo.InvariantCulture), 3);
            Assert.Contains("synonym match", lesion[3]);
            Assert.Contains("mention", lesion[3]);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void X_lines_with_discontinuous_references_keep_their_outer_bounds()
    {
        var m = CodiEspSplit.ReadMentions(["S1\tPROCEDIMIENTO\tbt41zzz\tecografía renal derecha\t307 316;348 361"]).Single();
        Assert.Equal((307, 361, true), (m.Start, m.End, m.IsProcedure));
    }

    [Fact]
    public void Site_lexicon_round_trips_through_its_tsv_form()
    {
        var entries = new List<SiteLexiconEntry> { new("crisis renoureteral", CodeSystems.Icd10Cm, "N23", Language.Spanish, 0.75), new("ecografía renal", CodeSystems.Icd10Pcs, "BT41ZZZ", Language.Spanish) };
        var writer = new StringWriter();
        SiteLexicon.Write(writer, entries);
        Assert.Equal(entries, SiteLexicon.Read(new StringReader(writer.ToString())));
        Assert.Throws<FormatException>(() => SiteLexicon.Read(new StringReader("only one column")));
    }

    [Fact]
    public void Site_lexicon_weights_are_the_share_of_documents_where_the_phrase_carried_its_code()
    {
        var texts = new Dictionary<string, string>
        {
            ["d1"] = "Dolor en fosa renal.",
            ["d2"] = "Refiere dolor en fosa renal derecha.",
            ["d3"] = "Sin dolor en fosa renal.",
            ["d4"] = "Dolor en fosa renal izquierda.",
        };
        AcceptedAnnotation[] accepted = [new("d1", "dolor en fosa renal", CodeSystems.Icd10Cm, "N23"), new("d2", "dolor en fosa renal", CodeSystems.Icd10Cm, "N23")];
        var entry = Assert.Single(SiteLexiconBuilder.Build(accepted, texts, Language.Spanish));
        Assert.Equal(0.5, entry.Weight);
        // Under the threshold, in enough documents to be sure: kept with weight 0, which blocks the code for those words.
        Assert.Equal(0, Assert.Single(SiteLexiconBuilder.Build(accepted, texts, Language.Spanish, minWeight: 0.6)).Weight);
    }

    [Fact]
    public void Generic_terms_that_rarely_carried_their_code_in_the_site_documents_are_blocked_and_unseen_ones_are_left_alone()
    {
        var texts = new Dictionary<string, string>
        {
            ["d1"] = "Tumoración en fosa ilíaca derecha. Dolor abdominal.",
            ["d2"] = "Se aprecia tumoración renal.",
            ["d3"] = "Tumoración palpable, dolor abdominal difuso.",
        };
        AcceptedAnnotation[] accepted = [new("d1", "dolor abdominal", CodeSystems.Icd10Cm, "R10.9"), new("d3", "dolor abdominal", CodeSystems.Icd10Cm, "R10.9")];
        LexiconTerm[] generic =
        [
            new("tumoración", CodeSystems.Icd10Cm, "D49.0", TermSource.Description),
            new("dolor abdominal", CodeSystems.Icd10Cm, "R10.9", TermSource.Description),
            new("nefrolitiasis", CodeSystems.Icd10Cm, "N20.0", TermSource.Description),
        ];
        var entries = SiteLexiconBuilder.Build(accepted, texts, Language.Spanish, genericTerms: generic);
        Assert.Equal(0, entries.Single(e => e.Code == "D49.0").Weight); // in 3 documents, never coded
        Assert.Equal(1, entries.Single(e => e.Code == "R10.9").Weight); // the site's own phrase, always coded
        Assert.DoesNotContain(entries, e => e.Code == "N20.0"); // never seen at the site: no evidence either way
    }

    [Fact]
    public void A_phrase_is_also_taught_without_its_side_unless_its_code_names_the_side()
    {
        var texts = new Dictionary<string, string>
        {
            ["d1"] = "Cáncer de borde lingual izquierdo.",
            ["d2"] = "Desprendimiento de retina del ojo izquierdo.",
        };
        AcceptedAnnotation[] accepted =
        [
            new("d1", "cáncer de borde lingual izquierdo", CodeSystems.Icd10Cm, "C02.1"),
            new("d2", "desprendimiento de retina del ojo izquierdo", CodeSystems.Icd10Cm, "H33.22"),
        ];
        static bool NamesSide(string system, string code) => code == "H33.22"; // "Serous retinal detachment, left eye"
        var entries = SiteLexiconBuilder.Build(accepted, texts, Language.Spanish, codeNamesSide: NamesSide);
        Assert.Contains(entries, e => e.Code == "C02.1" && e.Term == "cáncer de borde lingual");
        Assert.DoesNotContain(entries, e => e.Code == "H33.22" && !e.Term.Contains("izquierdo"));
    }
}

public class ReferenceWideningTests
{
    [Theory]
    [InlineData("Antecedentes de hipertensión arterial, diabetes.", "hipertensión", 10, "de hipertensión arterial")]
    [InlineData("Antecedentes de hipertensión arterial, diabetes.", "hipertensión", 0, "hipertensión")]
    [InlineData("Se realizó doble anexectomía.", "anexectomía", 10, "doble anexectomía")]
    [InlineData("Dolor.\nFiebre alta", "Fiebre", 10, "Fiebre alta")]
    [InlineData("Fiebre, dolor", "Fiebre", 10, "Fiebre")]
    [InlineData("Dolor en fosa renal izquierda", "Dolor", 10, "Dolor en fosa")]
    public void A_reference_takes_in_whole_neighbouring_words_within_the_limit_and_never_crosses_punctuation(string text, string evidence, int limit, string expected)
    {
        var start = text.IndexOf(evidence, StringComparison.Ordinal);
        var (s, e) = Symphony.Coders.Evaluation.CodiEspPrediction.Widen(text, start, start + evidence.Length, limit);
        Assert.Equal(expected, text[s..e]);
        Assert.True(start - s <= limit && e - (start + evidence.Length) <= limit);
    }
}
