using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Symphony.Coders.Text;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Tests.Infrastructure;
using Task = System.Threading.Tasks.Task;

namespace Symphony.Fhir.Server.Tests.CodingJobs;

/// <summary>Which language a note is read in, and the server's default checked at start.</summary>
public sealed class NoteLanguageTests
{
    [Theory]
    [InlineData("es", Language.Spanish)]
    [InlineData("es-ES", Language.Spanish)]
    [InlineData("ES-mx", Language.Spanish)]
    [InlineData("en-US", Language.English)]
    [InlineData(" en ", Language.English)]
    public void GivenABcp47Tag_WhenParsed_ThenOnlyThePrimarySubtagCounts(string tag, Language expected)
    {
        Assert.True(NoteLanguage.TryParse(tag, out var language));
        Assert.Equal(expected, language);
    }

    [Theory]
    [InlineData("fr")]
    [InlineData("english")]
    [InlineData("")]
    [InlineData(null)]
    public void GivenATagTheCoderDoesNotRead_WhenParsed_ThenItIsNotALanguage(string? tag) =>
        Assert.False(NoteLanguage.TryParse(tag, out _));

    [Fact]
    public void GivenBothTheNoteAndItsAttachmentSayALanguage_WhenDecided_ThenTheNoteWins()
    {
        var note = new DocumentReference { Language = "es", Content = [new() { Attachment = new Attachment { Language = "en" } }] };

        Assert.Equal(Language.Spanish, NoteLanguage.Of(note, Language.English));
    }

    [Fact]
    public void GivenNoLanguageAnywhere_WhenDecided_ThenTheServerDefaultIsUsed()
    {
        var note = new DocumentReference { Content = [new() { Attachment = new Attachment() }] };

        Assert.Equal(Language.Spanish, NoteLanguage.Of(note, Language.Spanish));
    }

    [Fact]
    public void GivenAnAttachmentInAnUnsupportedLanguage_WhenDecided_ThenTheFailureNamesTheTagAndWhereItCameFrom()
    {
        var note = new DocumentReference { Content = [new() { Attachment = new Attachment { Language = "de-DE" } }] };

        var failure = Assert.Throws<CodingFailure>(() => NoteLanguage.Of(note, Language.English));

        Assert.Equal("language 'de-DE' is not supported; supported: en, es; set DocumentReference.content[0].attachment.language to one of these, or leave it out to use the server's default (en).", failure.Message);
    }

    [Fact]
    public async Task GivenTheServerDefaultIsSpanish_WhenTextWithNoLanguageIsCoded_ThenItIsReadAsSpanish()
    {
        await using var backend = new SqliteTestBackend();
        var settings = CodingServerFixture.Settings(backend);
        settings["Coding:DefaultLanguage"] = "es-ES";
        await using var factory = InMemoryServer.Start(settings);
        var input = new Parameters();
        input.Add("text", new FhirString("Paciente con diabetes mellitus tipo 2 e hipertensión arterial."));

        var response = await factory.CreateClient().PostAsync("/$code", CodingTestClient.Body(input));

        var answer = new FhirJsonDeserializer().Deserialize<Parameters>(await response.Content.ReadAsStringAsync());
        Assert.Equal("es", ((Code)answer.Parameter.Single(p => p.Name == "language").Value!).Value);
        Assert.Contains(answer.Parameter, p => p.Name == "code" && ((Hl7.Fhir.Model.Coding)p.Part[0].Value!).Code == "I10");
    }

    [Fact]
    public async Task GivenADefaultLanguageTheCoderDoesNotRead_WhenTheServerStarts_ThenItStopsAndNamesTheSetting()
    {
        await using var backend = new SqliteTestBackend();
        var settings = CodingServerFixture.Settings(backend, "api");
        settings["Coding:DefaultLanguage"] = "fr";
        await using var factory = InMemoryServer.Start(settings);

        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Coding:DefaultLanguage 'fr'", failure.ToString());
    }
}
