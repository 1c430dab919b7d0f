using System.Text;
using Hl7.Fhir.Model;
using Symphony.Fhir.Server.Intake;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

public class NoteTextTests
{
    static readonly Func<string, CancellationToken, Task<Binary?>> NoBinaries = (_, _) => System.Threading.Tasks.Task.FromResult<Binary?>(null);

    static DocumentReference WithAttachment(Attachment attachment) => new() { Content = [new DocumentReference.ContentComponent { Attachment = attachment }] };

    [Fact]
    public async System.Threading.Tasks.Task GivenASyntheaNote_WhenRead_ThenTheTextIsTheDecodedAttachment()
    {
        var note = SyntheaNote.Load("inpatient");

        var text = await NoteTextReader.ReadAsync(note.Document, NoBinaries, default);

        Assert.Null(text.Error);
        Assert.Equal(note.NoteText, text.Text);
        Assert.Contains("acute bronchitis", text.Text);
    }

    [Fact]
    public void GivenHtml_WhenDecoded_ThenTheTextKeepsEveryOffsetOfTheHtml()
    {
        const string html = "<html><body><h1>Assessment</h1><p>Essential <b>hypertension</b> &amp; type 2 diabetes.</p><script>var x = 'asthma';</script></body></html>";

        var text = NoteTextReader.Decode(Encoding.UTF8.GetBytes(html), "text/html; charset=utf-8").Text!;

        Assert.Equal(html.Length, text.Length);
        var hypertension = html.IndexOf("hypertension", StringComparison.Ordinal);
        Assert.Equal("hypertension", text.Substring(hypertension, "hypertension".Length));
        Assert.Equal('&', text[html.IndexOf("&amp;", StringComparison.Ordinal)]);
        Assert.DoesNotContain("<", text);
        Assert.DoesNotContain("asthma", text);
        Assert.Contains('\n', text);
    }

    [Fact]
    public async System.Threading.Tasks.Task GivenAUrlToAStoredBinary_WhenRead_ThenTheBinaryIsDecoded()
    {
        var binary = new Binary { Id = "b1", ContentType = "text/plain", Data = Encoding.UTF8.GetBytes("Chronic kidney disease stage 3.") };
        var document = WithAttachment(new Attachment { Url = "http://localhost/fhir/Binary/b1" });

        var text = await NoteTextReader.ReadAsync(document, (id, _) => System.Threading.Tasks.Task.FromResult(id == "b1" ? binary : null), default);

        Assert.Equal("Chronic kidney disease stage 3.", text.Text);
    }

    [Theory]
    [InlineData("application/pdf", null, "only text/plain and text/html")]
    [InlineData(null, "https://elsewhere.example/note.txt", "does not point to a Binary")]
    [InlineData(null, "Binary/missing", "does not exist")]
    public async System.Threading.Tasks.Task GivenAnAttachmentWeCannotRead_WhenRead_ThenTheErrorSaysWhy(string? contentType, string? url, string expected)
    {
        var attachment = new Attachment { ContentType = contentType, Url = url, Data = url is null ? [1, 2, 3] : null };

        var text = await NoteTextReader.ReadAsync(WithAttachment(attachment), NoBinaries, default);

        Assert.Null(text.Text);
        Assert.Contains(expected, text.Error);
    }
}
