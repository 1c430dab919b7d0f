using Symphony.Coders.Context;
using Symphony.Coders.Evaluation;
using Symphony.Coders.Lexicon;

namespace Symphony.Coders.Tests;

/// <summary>The hand-coded English set's files and scoring (the annotation guide), on a three-note fixture.</summary>
public class AnnotatedSetTests
{
    static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "fixtures", "annotated");

    static CodedConcept Code(string system, string code, MentionStatus status = MentionStatus.Affirmed, params string[] rules) =>
        new(system, code, code, 0.5, [new EvidenceSpan(0, 1, "x")], status, rules);

    [Fact]
    public void The_fixture_loads_with_its_settings_spans_and_categories()
    {
        var set = AnnotatedSet.Load(Fixture);
        Assert.Equal(3, set.Indexed);
        Assert.Equal(["n1", "n2", "n3"], set.Notes.Select(n => n.Id));
        Assert.Equal(CareSetting.Outpatient, set.Notes.Single(n => n.Id == "n2").Setting);
        var pneumonia = set.Notes[0].Gold.Single(r => r.Code == "J189");
        Assert.Equal(["Community acquired pneumonia", "pneumonia"], pneumonia.Spans.Select(s => s.Text));
        Assert.True(pneumonia.Coded);
        var appendectomy = set.Notes[2].Gold.Single(r => r.System == CodeSystems.Icd10Pcs);
        Assert.Equal(("0DTJ4ZZ", "pcs"), (appendectomy.Code, appendectomy.Categories.Single()));
    }

    [Fact]
    public void A_quote_that_is_not_the_note_text_at_the_first_span_is_refused()
    {
        var dir = CopyFixture();
        File.WriteAllText(Path.Combine(dir, "gold", "n2.tsv"),
            "system\tcode\texpect\tspans\tquote\tcategory\twhy\ncm\tJ209\tcoded\t40:16\tacute bronchitis\tplain\tcase differs\n");
        var error = Assert.Throws<FormatException>(() => AnnotatedSet.Load(dir));
        Assert.Contains("n2.tsv:2: the quote 'acute bronchitis' is not the note's text at 40:16 ('Acute bronchitis')", error.Message);
    }

    [Fact]
    public void An_unknown_category_is_refused_with_the_known_ones()
    {
        var dir = CopyFixture();
        File.WriteAllText(Path.Combine(dir, "gold", "n2.tsv"),
            "system\tcode\texpect\tspans\tquote\tcategory\twhy\ncm\tJ209\tcoded\t40:16\tAcute bronchitis\tplain,negation\tx\n");
        var error = Assert.Throws<FormatException>(() => AnnotatedSet.Load(dir));
        Assert.Contains("unknown category 'negation' (known: plain, context, history, family, combination, specificity, laterality, seventh, pcs)", error.Message);
    }

    [Fact]
    public void A_note_without_a_gold_file_is_not_yet_annotated_and_left_out()
    {
        var dir = CopyFixture();
        File.Delete(Path.Combine(dir, "gold", "n3.tsv"));
        var set = AnnotatedSet.Load(dir);
        Assert.Equal((3, 2), (set.Indexed, set.Notes.Count));
    }

    [Fact]
    public void Predicted_codes_count_for_the_categories_of_their_rows_or_of_what_the_coder_says_of_them()
    {
        var set = AnnotatedSet.Load(Fixture);
        var n1 = set.Notes[0];
        var n3 = set.Notes[2];
        var scores = AnnotatedScorer.Score(
        [
            (n1, new CodingResult([
                Code(CodeSystems.Icd10Cm, "J18.9"),                                        // coded row: tp plain
                Code(CodeSystems.Icd10Cm, "R07.89"),                                       // not-coded row: fp context
                Code(CodeSystems.Icd10Cm, "Z87.01", MentionStatus.Affirmed, "personal-history:J18.9 → Z87.01 ('history')"), // fp history
                Code(CodeSystems.Icd10Cm, "I10"),                                          // tp plain
            ], [])),                                                                       // Z80.0 missed: fn family
            (n3, new CodingResult([
                Code(CodeSystems.Icd10Cm, "K35.89"),                                       // sibling of K35.80: fp specificity
                Code(CodeSystems.Icd10Pcs, "0DTJ"),                                        // fp pcs; 0DTJ4ZZ: fn pcs
            ], [])),
        ]);
        Assert.Equal((2, 4, 3), (scores.Overall.TruePositives, scores.Overall.FalsePositives, scores.Overall.FalseNegatives));
        Assert.Equal((2, 0, 0), Counts(scores.ByCategory["plain"]));
        Assert.Equal((0, 1, 0), Counts(scores.ByCategory["context"]));
        Assert.Equal((0, 1, 0), Counts(scores.ByCategory["history"]));
        Assert.Equal((0, 0, 1), Counts(scores.ByCategory["family"]));
        Assert.Equal((0, 1, 1), Counts(scores.ByCategory["specificity"]));
        Assert.Equal((0, 1, 1), Counts(scores.ByCategory["pcs"]));
        Assert.Equal((0, 1, 1), Counts(scores.BySystem["pcs"]));
        // n1: J18.9 at rank 1, I10 at rank 4, Z80.0 not found: (1/1 + 2/4) / 3; n3: nothing found.
        Assert.Equal(0.5, scores.Notes[0].AveragePrecision!.Value, 3);
        Assert.Equal(0.25, scores.MeanAveragePrecision, 3);
        Assert.Equal(["Z800"], scores.Notes[0].Missed);
    }

    [Theory]
    [InlineData("S72.001B", "S72001A", "seventh")]
    [InlineData("H53.412", "H53411", "laterality")]
    [InlineData("E11.9", "E1122", "specificity")]
    [InlineData("I10", "E1122", "plain")]
    public void A_code_no_row_names_is_categorised_by_how_it_differs_from_a_gold_code(string predicted, string gold, string category)
    {
        var rows = new[] { new GoldRow("n", 2, CodeSystems.Icd10Cm, gold, true, [new EvidenceSpan(0, 1, "x")], ["plain"], "") };
        Assert.Equal(category, AnnotatedScorer.ExtraCategory(Code(CodeSystems.Icd10Cm, predicted), rows));
    }

    [Fact]
    public void The_shipped_coder_is_scored_on_the_fixture_with_the_settings_of_the_index()
    {
        var coder = new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value);
        var set = AnnotatedSet.Load(Fixture);
        var scores = AnnotatedScorer.Score(set.Notes.Select(n => (n, coder.Code(n.Text, new CodingOptions { Setting = n.Setting }))).ToList());
        // Outpatient: "Possible asthma" is not coded.
        Assert.DoesNotContain("J45909", scores.Notes[1].Extra.Select(AnnotatedSet.NormalizeCode));
        // The negated chest pain is not coded, so no context false positive.
        Assert.Equal(0, scores.ByCategory["context"].FalsePositives);
        Assert.Equal(1, scores.ByCategory["family"].TruePositives);
    }

    static (int, int, int) Counts(Tally t) => (t.TruePositives, t.FalsePositives, t.FalseNegatives);

    static string CopyFixture()
    {
        var dir = Path.Combine(Path.GetTempPath(), "annotated-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(Fixture, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(Fixture, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return dir;
    }
}
