using System.Text.Json.Nodes;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Symphony.ReviewApp.Tests;

/// <summary>
/// The coder's workbench end to end: the built server serves the app, a person signs in at its login page, reviews a
/// real Synthea note coded by the server, and what the screen showed is what the FHIR API then holds.
/// </summary>
public sealed class ReviewAppTests(ReviewAppFixture fixture) : IClassFixture<ReviewAppFixture>
{
    const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
    ReviewServer Server => fixture.Server;

    string App(string path = "") => new Uri(Server.BaseUrl, $"review/{path}").ToString();

    Task SignInAsync(IPage page, bool keyboard = false) => SignIn.StandaloneAsync(page, Server, keyboard);

    async Task<(string Encounter, string Note)> CodedEncounterAsync(string suffix)
    {
        var seeded = await Server.SeedAsync(suffix);
        await Server.WaitCodedAsync(seeded.Note);
        return seeded;
    }

    /// <summary>Selects a word of the note with the mouse (a double click), as a person does.</summary>
    static async Task SelectWordAsync(IPage page, string word)
    {
        var point = await page.EvaluateAsync<double[]?>("""
            word => {
              const walker = document.createTreeWalker(document.getElementById('note-text'), NodeFilter.SHOW_TEXT);
              for (let node; (node = walker.nextNode());) {
                const at = node.textContent.search(new RegExp('\\b' + word + '\\b'));
                if (at < 0) continue;
                node.parentElement.scrollIntoView({ block: 'center' });
                const range = document.createRange();
                range.setStart(node, at); range.setEnd(node, at + word.length);
                const box = range.getBoundingClientRect();
                return [box.x + box.width / 2, box.y + box.height / 2];
              }
              return null;
            }
            """, word);
        Assert.NotNull(point);
        await page.Mouse.DblClickAsync((float)point[0], (float)point[1]);
    }

    /// <summary>axe-core's WCAG 2.1 A and AA rules (contrast, labels, roles, names…) on the screen as it stands: no violation.</summary>
    static async Task AssertAccessibleAsync(IPage page)
    {
        var results = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        });
        Assert.True(results.Violations.Length == 0, string.Join("\n", results.Violations.Select(v =>
            $"{v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))}")));
    }

    static async Task<string[]> ClaimPreviewAsync(IPage page) =>
        (await page.Locator("#claim-preview li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.code)"));

    /// <summary>
    /// After the review: each Condition as the screen showed it (accepted confirmed, rejected entered-in-error with the
    /// reason, the added one confirmed with the selected words as its evidence, all tagged reviewed and naming the user),
    /// and the Claim's diagnoses exactly the preview's.
    /// </summary>
    async Task AssertStoredAsync(string encounter, string accepted, string rejected, string reason, string added, string addedWords, string[] preview)
    {
        var conditions = await Server.SearchAsync($"Condition?encounter=Encounter/{encounter}&_count=100");
        JsonNode Of(string code) => conditions.Single(c => c["code"]!["coding"]![0]!["code"]!.GetValue<string>() == code);
        static string Verification(JsonNode c) => c["verificationStatus"]!["coding"]![0]!["code"]!.GetValue<string>();
        static string Notes(JsonNode c) => string.Join("\n", c["note"]!.AsArray().Select(n => n!["text"]!.GetValue<string>()));
        static bool Reviewed(JsonNode c) => c["meta"]!["tag"]!.AsArray().Any(t => t!["code"]!.GetValue<string>() == "reviewed");

        Assert.Equal("confirmed", Verification(Of(accepted)));
        Assert.True(Reviewed(Of(accepted)));
        Assert.Contains($"Accepted by {ReviewServer.FhirUser}.", Notes(Of(accepted)));
        Assert.Equal("entered-in-error", Verification(Of(rejected)));
        Assert.Contains($"Rejected by {ReviewServer.FhirUser}: {reason}", Notes(Of(rejected)));
        var addedCondition = Of(added);
        Assert.Equal("confirmed", Verification(addedCondition));
        Assert.True(Reviewed(addedCondition));

        // The decision's evidence, stored as the added code's Provenance: the user as author, the selected words quoted.
        var provenance = (await Server.SearchAsync($"Provenance?target=Condition/{addedCondition["id"]}")).Single();
        Assert.Equal(ReviewServer.FhirUser, provenance["agent"]![0]!["who"]!["reference"]!.GetValue<string>());
        Assert.Equal(addedWords, provenance["entity"]![0]!["what"]!["display"]!.GetValue<string>());

        var claim = (await Server.SearchAsync($"Claim?encounter=Encounter/{encounter}")).Single();
        var billed = claim["diagnosis"]!.AsArray().OrderBy(d => d!["sequence"]!.GetValue<int>())
            .Select(d => d!["diagnosisCodeableConcept"]!["coding"]![0]!["code"]!.GetValue<string>()).ToArray();
        Assert.Equal(preview, billed);
        Assert.DoesNotContain(rejected, billed);
        Assert.Contains(added, billed);
    }

    [Fact]
    public async Task A_person_signs_in_opens_a_coded_Synthea_encounter_accepts_rejects_and_adds_codes_and_the_FHIR_API_holds_what_the_screen_showed()
    {
        var (encounter, _) = await CodedEncounterAsync("mouse");
        var page = await Browser.PageAsync(fixture.Browser);
        await SignInAsync(page);

        // The worklist: this encounter, awaiting review, with its counts.
        var row = page.Locator($"tr[data-encounter='{encounter}']");
        await Assertions.Expect(row).ToContainTextAsync("awaiting review");
        var suggested = int.Parse((await row.Locator("td").Nth(4).TextContentAsync())!);
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ReviewAppFixture.Screenshots, "worklist.png") });
        await row.GetByRole(AriaRole.Link).ClickAsync();

        // The review screen: every code with evidence has its words highlighted; hovering a code lights exactly its spans.
        var codes = page.Locator("li.code");
        await codes.First.WaitForAsync();
        Assert.True(suggested >= 2, "the note was coded with fewer than two codes");
        Assert.Equal(suggested, await codes.CountAsync()); // the worklist's count is the codes the screen lists
        var first = codes.Nth(0);
        await first.HoverAsync();
        var lit = await page.Locator("#note-text mark.lit").AllTextContentsAsync();
        Assert.NotEmpty(lit);
        var evidence = await first.Locator("dd").Filter(new() { HasText = "“" }).First.TextContentAsync();
        foreach (var words in lit) Assert.Contains(words.Trim(), evidence);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ReviewAppFixture.Screenshots, "review.png") });
        await AssertAccessibleAsync(page);

        // Clicking highlighted words names the codes they support.
        await page.Locator("#note-text mark.lit").First.ClickAsync();
        await Assertions.Expect(page.Locator("#span-info")).ToContainTextAsync((await first.GetAttributeAsync("data-code"))!);

        // The candidates the coder rejected, collapsed until asked for, then listed with its reasons.
        await page.Locator("#rejected-candidates summary").ClickAsync();
        await Assertions.Expect(page.Locator("#rejected-candidates li, #rejected-candidates .muted").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#rejected-candidates")).Not.ToContainTextAsync("could not be read");

        var accepted = (await first.GetAttributeAsync("data-code"))!;
        await first.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        var second = page.Locator("li.code").Nth(1);
        var rejected = (await second.GetAttributeAsync("data-code"))!;
        await second.GetByRole(AriaRole.Button, new() { Name = "Reject" }).ClickAsync();
        const string reason = "Negated or ruled out in the note";
        await second.GetByLabel(reason).CheckAsync();
        await second.GetByRole(AriaRole.Button, new() { Name = $"Reject {rejected}" }).ClickAsync();

        // Add a code for words the machine did not code: select them, search the code, choose it.
        await SelectWordAsync(page, "stress");
        await page.Locator("#add-code").ClickAsync();
        await page.GetByRole(AriaRole.Combobox, new() { Name = "Code", Exact = true }).FillAsync("stress");
        var option = page.GetByRole(AriaRole.Option).Filter(new() { HasText = "Z73.3" });
        await option.ClickAsync();
        await Assertions.Expect(page.Locator("li.code.pending-add")).ToContainTextAsync("Z73.3");
        var preview = await ClaimPreviewAsync(page);
        Assert.Contains("Z73.3", preview);
        Assert.DoesNotContain(rejected, preview);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ReviewAppFixture.Screenshots, "review-decided.png") });

        await page.Locator("#submit-review").ClickAsync();
        await Assertions.Expect(page.Locator("#review-banner")).ToContainTextAsync("Your 3 decisions were saved.");
        await Assertions.Expect(page.Locator($"li.code.state-accepted[data-code='{accepted}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"li.code.state-added[data-code='Z73.3']")).ToBeVisibleAsync();
        await AssertStoredAsync(encounter, accepted, rejected, reason, "Z73.3", "stress", preview);
    }

    [Fact]
    public async Task The_same_review_with_the_keyboard_alone()
    {
        var (encounter, _) = await CodedEncounterAsync("keys");
        var page = await Browser.PageAsync(fixture.Browser);
        await SignInAsync(page, keyboard: true);

        // Tab to the encounter's link and open it.
        var link = $"tr[data-encounter='{encounter}'] a";
        for (var i = 0; i < 40 && !await page.Locator(link).EvaluateAsync<bool>("a => a === document.activeElement"); i++)
            await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("li.code").First.WaitForAsync();

        // Focus starts on the first code: a accepts it, j moves on, r opens the reasons, Tab reaches the button.
        var accepted = (await page.EvaluateAsync<string>("() => document.activeElement.dataset.code"))!;
        await page.Keyboard.PressAsync("a");
        await page.Keyboard.PressAsync("j");
        var rejected = (await page.EvaluateAsync<string>("() => document.activeElement.dataset.code"))!;
        Assert.NotEqual(accepted, rejected);
        await page.Keyboard.PressAsync("r");
        await page.Keyboard.PressAsync("ArrowDown"); // the second reason
        const string reason = "Negated or ruled out in the note";
        for (var i = 0; i < 10 && !await page.EvaluateAsync<bool>("n => document.activeElement.textContent === n", $"Reject {rejected}"); i++)
            await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator($"li.code.pending-reject[data-code='{rejected}']")).ToContainTextAsync(reason);

        // f finds words to code; Enter selects them and moves to "Add a code"; Enter opens the code search; arrows and Enter choose.
        await page.Keyboard.PressAsync("f");
        await page.Keyboard.TypeAsync("stress");
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.TypeAsync("stress");
        await page.GetByRole(AriaRole.Option).Filter(new() { HasText = "Z73.3" }).WaitForAsync();
        for (var i = 0; i < 12 && !(await page.Locator("[role=option].active").TextContentAsync())!.Contains("Z73.3"); i++)
            await page.Keyboard.PressAsync("ArrowDown");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("li.code.pending-add")).ToContainTextAsync("Z73.3");
        var preview = await ClaimPreviewAsync(page);

        await page.Keyboard.PressAsync("Control+Enter");
        await Assertions.Expect(page.Locator("#review-banner")).ToContainTextAsync("Your 3 decisions were saved.");
        await AssertStoredAsync(encounter, accepted, rejected, reason, "Z73.3", "stress", preview);
    }

    [Fact]
    public async Task An_expired_token_asks_the_person_to_sign_in_again_and_nothing_is_sent()
    {
        var (encounter, _) = await CodedEncounterAsync("expired");
        var page = await Browser.PageAsync(fixture.Browser);
        await page.Clock.InstallAsync();
        await SignInAsync(page);
        await page.GotoAsync(App($"#/encounter/{encounter}"));
        var first = page.Locator("li.code").First;
        await first.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();

        // Past the token's lifetime (Auth:TokenLifetime, one hour by default) the app sends nothing and asks for a new sign-in.
        await page.Clock.FastForwardAsync("02:00:00");
        await page.Locator("#submit-review").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Your session has expired");
        var conditions = await Server.SearchAsync($"Condition?encounter=Encounter/{encounter}");
        Assert.DoesNotContain(conditions, c => c["meta"]!["tag"]!.AsArray().Any(t => t!["code"]!.GetValue<string>() == "reviewed"));

        // A new token: the server's sign-in cookie (30 minutes, on the server's clock) may skip its form.
        await page.Locator("#sign-in-again").ClickAsync();
        var form = page.GetByLabel("User name");
        var worklist = page.Locator("#worklist[aria-busy=false]");
        await form.Or(worklist).First.WaitForAsync();
        if (await form.IsVisibleAsync()) await SignIn.LoginPageAsync(page, keyboard: false);
        await worklist.WaitForAsync();
        await Assertions.Expect(page.Locator("#user")).ToContainTextAsync(ReviewServer.FhirUser);
    }

    [Fact]
    public async Task A_review_someone_else_submitted_meanwhile_is_shown_and_not_overwritten()
    {
        var (encounter, note) = await CodedEncounterAsync("conflict");
        var page = await Browser.PageAsync(fixture.Browser);
        await SignInAsync(page);
        await page.GotoAsync(App($"#/encounter/{encounter}"));
        var codes = page.Locator("li.code");
        await codes.First.WaitForAsync();
        var theirs = (await codes.Nth(0).GetAttributeAsync("data-code"))!;
        var mine = (await codes.Nth(1).GetAttributeAsync("data-code"))!;

        // Another reviewer accepts the first code through the API while this screen is open.
        var body = $$$"""
            {"resourceType":"Parameters","parameter":[{"name":"decision","part":[
              {"name":"code","valueCoding":{"system":"{{{Icd10Cm}}}","code":"{{{theirs}}}"}},
              {"name":"action","valueCode":"accept"},
              {"name":"note","valueReference":{"reference":"DocumentReference/{{{note}}}"}}]}]}
            """;
        using (var review = await Server.Admin.PostAsync($"Encounter/{encounter}/$review", new StringContent(body, System.Text.Encoding.UTF8, "application/fhir+json")))
            Assert.True(review.IsSuccessStatusCode, await review.Content.ReadAsStringAsync());

        await codes.Nth(1).GetByRole(AriaRole.Button, new() { Name = "Reject" }).ClickAsync();
        await codes.Nth(1).GetByRole(AriaRole.Button, new() { Name = $"Reject {mine}" }).ClickAsync();
        await page.Locator("#submit-review").ClickAsync();

        await Assertions.Expect(page.Locator("#review-banner")).ToContainTextAsync($"Someone else reviewed this encounter while you were working: {theirs} accepted");
        await Assertions.Expect(page.Locator($"li.code.state-accepted[data-code='{theirs}']")).ToBeVisibleAsync();
        var conditions = await Server.SearchAsync($"Condition?encounter=Encounter/{encounter}");
        var untouched = conditions.Single(c => c["code"]!["coding"]![0]!["code"]!.GetValue<string>() == mine);
        Assert.Contains(untouched["meta"]!["tag"]!.AsArray(), t => t!["code"]!.GetValue<string>() == "machine-suggested");
    }

    [Fact]
    public async Task An_EHR_launch_with_an_encounter_in_context_opens_that_encounters_review()
    {
        var (encounter, _) = await CodedEncounterAsync("ehr");
        // The EHR asks the server for a launch value naming the encounter, then opens the app with it.
        using var launch = await Server.Admin.PostAsync("auth/launch", new FormUrlEncodedContent(new Dictionary<string, string> { ["encounter"] = encounter }));
        var launchBody = await launch.Content.ReadAsStringAsync();
        Assert.True(launch.IsSuccessStatusCode, launchBody);
        var value = JsonNode.Parse(launchBody)!["launch"]!.GetValue<string>();
        var iss = Server.BaseUrl.ToString().TrimEnd('/');

        var page = await Browser.PageAsync(fixture.Browser);
        await page.GotoAsync(App($"launch.html?iss={Uri.EscapeDataString(iss)}&launch={Uri.EscapeDataString(value)}"));
        await SignIn.LoginPageAsync(page, keyboard: false);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/encounter/{encounter}$"));
        await page.Locator("li.code").First.WaitForAsync();
        Assert.Contains("1971-02-27", await page.Locator("#review-title").TextContentAsync());
    }
}
