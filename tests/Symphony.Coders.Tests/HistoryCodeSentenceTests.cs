using Symphony.Coders.Context;
using Symphony.Coders.Rules;
using Symphony.Terminology.Model;

namespace Symphony.Coders.Tests;

/// <summary>Past and family conditions on real sentences (MTSamples) and on sentences generated from the tabular's own notes.</summary>
public class HistoryCodeSentenceTests
{
    static readonly Lazy<Coder> Shipped = new(() => new Coder(ShippedCodeSystems.Icd10Cm.Value, ShippedCodeSystems.Icd10Pcs.Value));

    public static TheoryData<string, string> Resolved => new()
    {
        // The examples.
        { "History of colon cancer, resected, no current treatment.", "Z85.038" },
        { "History of DVT.", "Z86.718" },
        { "Prior MI.", "I25.2" },
        // MTSamples sentences as transcribed.
        { "He also has a history of prostate cancer, which was treated by radiation.", "Z85.46" },
        { "HISTORY OF PRESENT ILLNESS: , She is a very pleasant 59-year-old nurse with a history of breast cancer.", "Z85.3" },
        { "History of lung cancer.", "Z85.118" },
        { "History of pulmonary embolism.", "Z86.711" },
        { "She does have a history of DVT but this was 30 to 40 years ago.", "Z86.718" },
        { "History of myocardial infarction.,5.", "I25.2" },
        { "CNS:  History of TIA.", "Z86.73" },
        { "History of nephrolithiasis.", "Z87.442" },
        { "History of kidney stones.,6.", "Z87.442" },
        { "History of peptic ulcer disease.,3.", "Z87.11" },
        { "History of pneumonia.", "Z87.01" },
        { "History of urinary tract infections.", "Z87.440" },
        // Synthea: "Patient quit smoking at age 20."
        { "Patient quit smoking at age 20.", "Z87.891" },
    };

    [Theory]
    [MemberData(nameof(Resolved))]
    public void A_resolved_condition_gets_its_personal_history_code_in_either_setting(string note, string expected)
    {
        foreach (var setting in new[] { CareSetting.Inpatient, CareSetting.Outpatient })
        {
            var result = Shipped.Value.Code(note, new CodingOptions { Setting = setting });
            var code = Assert.Single(result.Codes, c => c.Code == expected);
            Assert.Equal(MentionStatus.History, code.Status);
            // The past condition itself is not coded as current.
            Assert.DoesNotContain(result.Codes, c => c.Status == MentionStatus.Affirmed && c.Code[0] is not 'Z' && c.Code != "I25.2");
        }
    }

    public static TheoryData<string, string> Family => new()
    {
        { "Family history of colon cancer (father).", "Z80.0" },
        { "Mother had a history of breast cancer.", "Z80.3" },
        { "Father also had a prior history of lung cancer.", "Z80.1" },
        { "Family history of colon cancer.,2.", "Z80.0" },
        { "FAMILY HISTORY: , Her maternal grandmother had stomach cancer.", "Z80.0" },
        { "FAMILY HISTORY: , His brothers had prostate cancer.", "Z80.42" },
        { "FAMILY HISTORY:  ,His grandfather had arthritis.", "Z82.61" },
        { "Brother died from lymphoma.", "Z80.7" },
        { "Mother has a history of depression.", "Z81.8" },
        { "FAMILY HISTORY:, Patient admits a family history of gout attacks associated with father.", "Z82.61" },
        { "There is history of asthma in the patient's father.", "Z82.5" },
    };

    [Theory]
    [MemberData(nameof(Family))]
    public void A_relatives_condition_lands_in_the_family_history_code_whose_note_covers_it(string note, string expected)
    {
        var result = Shipped.Value.Code(note);
        Assert.Contains(result.Codes, c => c.Code == expected);
        Assert.DoesNotContain(result.Codes, c => c.Code == "Z80.9");
    }

    /// <summary>Every Z80–Z84 code whose tabular note says which conditions it covers ("Conditions classifiable to C15-C26").</summary>
    static List<(Concept Code, CodeRanges Ranges)> FamilyBranches()
    {
        var cs = ShippedCodeSystems.Icd10Cm.Value;
        return cs.Concepts.Values
            .Where(c => string.CompareOrdinal(c.Code, "Z80") >= 0 && string.CompareOrdinal(c.Code, "Z85") < 0)
            .SelectMany(c => c.Notes.Where(n => n.Kind == NoteKind.InclusionTerm && n.Text.Contains("classifiable"))
                .Select(n => (c, CodeRanges.Parse(n.Text)!)))
            .OrderBy(b => b.c.Code, StringComparer.Ordinal)
            .ToList();
    }

    [Fact]
    public void Every_family_history_code_with_a_classifiable_to_note_is_reached_from_a_family_history_sentence()
    {
        var cs = ShippedCodeSystems.Icd10Cm.Value;
        var branches = FamilyBranches();
        Assert.True(branches.Count >= 30, $"{branches.Count} family-history codes with a note");
        var unreached = new List<string>();
        foreach (var (branch, ranges) in branches)
        {
            // Sentences made of the titles of the categories that open each range ("Family history of malignant neoplasm of esophagus.").
            var reached = false;
            foreach (var (from, _) in ranges.Ranges)
            {
                if (cs.Find(from) is not { } category) continue;
                var sentence = $"Family history of {TitleWithoutQualifier(category.Display)}.";
                var result = Shipped.Value.Code(sentence);
                // The relative's condition — read by the history rule from the disease code, or the family-history title said
                // outright — lands in the branch: the code itself or one below it, never another family-history code.
                var family = result.Codes.Where(c => string.CompareOrdinal(c.Code, "Z80") >= 0 && string.CompareOrdinal(c.Code, "Z85") < 0).ToList();
                if (family.Count == 0) continue;
                Assert.All(family, c => Assert.True(c.Code.StartsWith(branch.Code, StringComparison.Ordinal), $"'{sentence}' gave {c.Code}, not under {branch.Code}"));
                Assert.True(family.Any(c => c.Rules.Any(r => r.StartsWith("family-history:")))
                    || result.Rejected.Any(r => r.Reason.StartsWith("family history:")) || family.Any(c => c.Rules.Any(r => r.StartsWith("matched:description"))));
                reached = true;
                break;
            }
            if (!reached) unreached.Add(branch.Code);
        }
        Assert.True(unreached.Count == 0, "not reached: " + string.Join(", ", unreached));
    }

    static string TitleWithoutQualifier(string title) => title.Replace(", unspecified", "").Replace(", not elsewhere classified", "");

    [Theory]
    [InlineData("C18.9", "Z80.0")]
    [InlineData("C56.9", "Z80.41")]
    [InlineData("C53.9", "Z80.49")]
    [InlineData("I10", "Z82.49")]
    [InlineData("F32.9", "Z81.8")]
    [InlineData("F10.20", "Z81.1")]
    [InlineData("H40.9", "Z83.511")]
    [InlineData("N39.0", "Z84.2")]
    public void The_family_history_code_is_the_one_whose_classifiable_to_note_holds_the_disease(string disease, string family)
    {
        var history = new HistoryCodes(ShippedCodeSystems.Icd10Cm.Value);
        Assert.Equal(family, history.For(disease, family: true));
    }
}
