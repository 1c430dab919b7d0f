using Microsoft.Playwright;

namespace Symphony.ReviewApp.Tests;

/// <summary>One server (its coder loaded once) and one browser for the end-to-end tests; each test seeds its own encounter.</summary>
public sealed class ReviewAppFixture : IAsyncLifetime
{
    /// <summary>What the seeded coder may be granted: read everything, update the Conditions and Procedures a review decides on.</summary>
    public const string UserScopes = "user/*.rs user/Condition.u user/Procedure.u";

    IPlaywright? _playwright;
    public ReviewServer Server { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the run's screenshots go (two of them are in docs/).</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        Server = await ReviewServer.StartAsync(UserScopes);
        (_playwright, Browser) = await Tests.Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
    }
}
