using Microsoft.Playwright;

namespace Symphony.ReviewApp.Tests;

/// <summary>How a person gets into the app: the app's Sign in button and the server's login page.</summary>
public static class SignIn
{
    public static string App(ReviewServer server, string path = "") => new Uri(server.BaseUrl, $"review/{path}").ToString();

    /// <summary>Standalone launch: the app's Sign in button, the server's login page, back in the app with the user's token.</summary>
    public static async Task StandaloneAsync(IPage page, ReviewServer server, bool keyboard = false)
    {
        await page.GotoAsync(App(server));
        var signIn = page.Locator("#sign-in, #sign-in-again");
        if (keyboard) { await signIn.FocusAsync(); await page.Keyboard.PressAsync("Enter"); }
        else await signIn.ClickAsync();
        await LoginPageAsync(page, keyboard);
        await page.WaitForURLAsync(url => url.StartsWith(App(server), StringComparison.Ordinal) && !url.Contains("code="));
        await page.Locator("#worklist[aria-busy=false], .review").First.WaitForAsync();
    }

    /// <summary>The server's login page: user name, password, sign in.</summary>
    public static async Task LoginPageAsync(IPage page, bool keyboard)
    {
        await page.GetByLabel("User name").FillAsync(ReviewServer.UserName);
        await page.GetByLabel("Password").FillAsync(ReviewServer.Password);
        if (keyboard) await page.Keyboard.PressAsync("Enter");
        else await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}
