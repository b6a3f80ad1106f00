using Microsoft.Playwright;

namespace Inlet.Tests.Web;

/// <summary>
/// The Host as a real process on a real port, and Debian's Chromium driven by Playwright: the pages are
/// tested as a person uses them. The browser is the system's (/usr/bin/chromium, installed by
/// eng/services.sh); Playwright never downloads one.
/// </summary>
public sealed class BrowserHost : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public HostProcess Host { get; private set; } = null!;

    public string BaseUrl => $"http://127.0.0.1:{Host.Port}";

    /// <summary>Test artifacts (git-ignored): one PNG per page and width.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(TestServices.RepoRoot(), ".local", "test", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: run the tests with ./test.sh, which installs Debian's chromium package.");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Directory.CreateDirectory(ScreenshotDirectory);

        var postgres = await TestServices.CreateDatabase("inlet_web");
        // A short metadata grace, so a CSV whose schema is a moment behind it waits seconds, not ten.
        Host = new HostProcess(postgres, new Dictionary<string, string> { ["Tabular__MetadataGrace"] = "00:00:02" });
        await Host.Start();

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Root needs --no-sandbox; the rest keeps a test browser from calling home. Playwright gives every
            // launch a fresh profile directory of its own.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser context (its own sessionStorage and clipboard permission) at the given width.</summary>
    public async Task<IPage> NewPage(int width = 1280)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        context.SetDefaultTimeout(20_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
        await Host.DisposeAsync();
    }
}
