using System.IO.Compression;
using System.Text;
using Symphony.Coders.Evaluation;
using Symphony.Coders.Lexicon;
using Symphony.Coders.Text;

namespace Symphony.Coders.Tests;

/// <summary>The shipped terminology and the CodiEsp dev split (fixture copy), loaded once for the class.</summary>
public sealed class CodiEspDevFixture
{
    public Coder Coder { get; }
    public Dictionary<string, string> English { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Spanish { get; } = new(StringComparer.Ordinal);
    public List<SiteLexiconEntry> TrainLexicon { get; }

    public CodiEspDevFixture()
    {
        var cm = Task.Run(() => ShippedCodeSystems.Icd10Cm.Value);
        var pcs = Task.Run(() => ShippedCodeSystems.Icd10Pcs.Value);
        var annotations = new List<AcceptedAnnotation>();
        using (var zip = ZipFile.OpenRead(Path.Combine(AppContext.BaseDirectory, "fixtures", "codiesp-dev.zip")))
            foreach (var entry in zip.Entries.Where(e => e.Length > 0))
            {
                using var reader = new StreamReader(entry.Open(), new UTF8Encoding(false, true));
                var content = reader.ReadToEnd();
                var name = Path.GetFileNameWithoutExtension(entry.Name);
                if (entry.FullName.StartsWith("dev/text_files_en/")) English[name] = content;
                else if (entry.FullName.StartsWith("dev/text_files/")) Spanish[name] = content;
                else if (entry.Name == "trainX.tsv")
                    annotations.AddRange(CodiEspSplit.ReadMentions(content.Split('\n')).Select(m =>
                    {
                        var system = m.IsProcedure ? CodeSystems.Icd10Pcs : CodeSystems.Icd10Cm;
                        return new AcceptedAnnotation(m.Document, m.Reference, system, SiteLexicon.NormalizeCode(m.Code, system));
                    }));
            }
        TrainLexicon = SiteLexiconBuilder.Build(annotations, new Dictionary<string, string>(), Language.Spanish);
        Coder = new Coder(cm.Result, pcs.Result, TrainLexicon);
    }
}

public class DevSplitEvidenceTests(CodiEspDevFixture dev) : IClassFixture<CodiEspDevFixture>
{
    [Fact]
    public void The_fixture_holds_the_whole_dev_split_in_both_languages()
    {
        Assert.Equal(250, dev.English.Count);
        Assert.Equal(250, dev.Spanish.Count);
        Assert.True(dev.TrainLexicon.Count > 1000);
    }

    [Theory]
    [InlineData(Language.English)]
    [InlineData(Language.Spanish)]
    public void Every_code_on_the_dev_split_has_a_span_and_every_span_quotes_the_note(Language language)
    {
        var texts = language == Language.Spanish ? dev.Spanish : dev.English;
        var options = new CodingOptions { Language = language, CodeEveryMention = true };
        var codes = 0;
        foreach (var (document, text) in texts)
        {
            var result = dev.Coder.Code(text, options);
            foreach (var code in result.Codes)
            {
                codes++;
                Assert.NotEmpty(code.Spans);
                foreach (var span in code.Spans)
                    Assert.True(span.Length > 0 && text.Substring(span.Start, span.Length) == span.Text, $"{document} {code.Code}: '{span.Text}' at {span.Start}");
            }
            foreach (var rejected in result.Rejected)
                Assert.All(rejected.Spans, span => Assert.Equal(text.Substring(span.Start, span.Length), span.Text));
        }
        // Sanity: the coder does find codes on clinical notes (several per note on average).
        Assert.True(codes > texts.Count * 3, $"only {codes} codes on {texts.Count} notes");
    }

    [Fact]
    public void Spanish_predictions_carry_spanish_character_offsets()
    {
        var (document, text) = dev.Spanish.First();
        var prediction = CodiEspPrediction.From(document, text, dev.Coder.Code(text, new CodingOptions { Language = Language.Spanish }));
        Assert.NotEmpty(prediction.Mentions);
        // The Spanish notes have no characters outside the BMP, so code-point offsets equal string offsets.
        Assert.All(prediction.Mentions, m => Assert.Equal(m.Reference, text[m.Start..m.End]));
    }
}
