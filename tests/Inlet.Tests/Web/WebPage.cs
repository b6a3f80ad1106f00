using Microsoft.Playwright;

namespace Inlet.Tests.Web;

/// <summary>What a person does on Inlet's pages, as steps the tests read like a script.</summary>
public static class WebPage
{
    public static async Task SignIn(this IPage page, string user, string wsid, string? screenshot = null)
    {
        await page.GotoAsync("/#/sign-in");
        await page.GetByLabel("User").FillAsync(user);
        await page.GetByLabel("Workspaces").FillAsync(wsid);
        if (screenshot is not null)
            await page.Screenshot(screenshot);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.ExpectHeading($"Workspace {wsid}");
    }

    public static async Task Open(this IPage page, string wsid, string pageAndQuery, string heading)
    {
        await page.GotoAsync($"/#/ws/{wsid}/{pageAndQuery}");
        await page.ExpectHeading(heading);
    }

    public static Task ExpectHeading(this IPage page, string text) =>
        page.Locator("main h1").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(text) + "$") })
            .WaitForAsync();

    /// <summary>Fills the token form and submits it; answers the new token's tid (the first row).</summary>
    public static async Task<string> CreateToken(this IPage page, string reason, bool toDatabase = false, string? folder = null)
    {
        await page.GetByLabel("Reason").FillAsync(reason);
        if (toDatabase)
            await page.GetByLabel("Upload data to database").CheckAsync();
        if (folder is not null)
        {
            await page.GetByLabel("Move files directly to:").CheckAsync();
            await page.Locator("#folder").FillAsync(folder);
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "Create upload token" }).ClickAsync();
        var firstRow = page.Locator("table.tokens tbody tr").First;
        await firstRow.Locator("button.copy-token").WaitForAsync();
        Assert.Contains(reason, await firstRow.InnerTextAsync());
        return (await firstRow.GetAttributeAsync("data-tid"))!;
    }

    /// <summary>Clicks a Copy button and answers what it put on the clipboard.</summary>
    public static async Task<string> CopyWith(this IPage page, string buttonName)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = buttonName }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = buttonName + " ✓" }).WaitForAsync();
        return await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
    }

    /// <summary>Reloads a page until <paramref name="selector"/> shows up (the server works in the background).</summary>
    public static Task ReloadUntil(this IPage page, string selector, string heading, int seconds, string what) =>
        TokenApi.Eventually(async () =>
        {
            await page.ReloadAsync();
            await page.ExpectHeading(heading);
            return await page.Locator(selector).CountAsync() > 0;
        }, seconds, what);

    public static async Task Screenshot(this IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserHost.ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>No value slipped through unformatted: a missing field shows as a dash, never as "null".</summary>
    public static async Task AssertRenderedCleanly(this IPage page, string what)
    {
        var slip = System.Text.RegularExpressions.Regex.Match(await page.Locator("main").InnerTextAsync(), @"\b(null|undefined|NaN)\b|\[object ");
        Assert.False(slip.Success, $"{what} shows '{slip.Value}'");
    }

    /// <summary>The page is no wider than the window: nothing needs horizontal scrolling.</summary>
    public static async Task AssertFitsWidth(this IPage page, string what)
    {
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        var (scroll, client) = (widths[0], widths[1]);
        Assert.True(scroll <= client, $"{what}: the page is {scroll} px wide in a {client} px window");
    }
}
