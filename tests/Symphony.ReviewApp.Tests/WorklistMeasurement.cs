using System.Diagnostics;
using Xunit.Abstractions;

namespace Symphony.ReviewApp.Tests;

/// <summary>
/// Not a test: how long the worklist takes to open on the embedded server holding 1,000 coded encounters, measured in
/// Chromium and printed (docs/review-app.md has the figures). Runs only when asked:
/// SYMPHONY_REVIEW_MEASURE=1 dotnet test tests/Symphony.ReviewApp.Tests -c Release --filter WorklistMeasurement --logger "console;verbosity=detailed"
/// </summary>
public sealed class WorklistMeasurement(ITestOutputHelper output)
{
    public sealed class MeasureFactAttribute : FactAttribute
    {
        public MeasureFactAttribute()
        {
            if (Environment.GetEnvironmentVariable("SYMPHONY_REVIEW_MEASURE") != "1") Skip = "a measurement: set SYMPHONY_REVIEW_MEASURE=1 to run it";
        }
    }

    [MeasureFact]
    public async Task Worklist_with_1000_coded_encounters()
    {
        await using var server = await ReviewServer.StartAsync(ReviewAppFixture.UserScopes);
        var seeding = Stopwatch.StartNew();
        var notes = await server.SeedManyAsync("scale", 1000);
        output.WriteLine($"stored 1000 encounters and notes in {seeding.Elapsed.TotalSeconds:0.0} s");
        foreach (var note in notes) await server.WaitCodedAsync(note, minutes: 30);
        output.WriteLine($"all coded after {seeding.Elapsed.TotalSeconds:0.0} s");

        var (playwright, browser) = await Browser.LaunchAsync();
        var page = await Browser.PageAsync(browser);
        await SignIn.StandaloneAsync(page, server);
        var samples = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            await page.ReloadAsync();
            await page.Locator("#worklist[aria-busy=false]").WaitForAsync();
            samples.Add(int.Parse((await page.Locator("#worklist").GetAttributeAsync("data-load-ms"))!));
        }
        samples.Sort();
        output.WriteLine($"worklist first page (20 encounters) over 10 loads: median {samples[5]} ms, max {samples[^1]} ms; all: {string.Join(", ", samples)}");
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
