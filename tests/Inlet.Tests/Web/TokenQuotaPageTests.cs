using Microsoft.Playwright;

namespace Inlet.Tests.Web;

/// <summary>Quotas on the tokens page in Chromium (ADR 28): set on the issue form, refused with the field named, shown in the listing, exhausted.</summary>
[Collection(nameof(RunsAlone))]
public sealed class TokenQuotaPageTests(BrowserHost web) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task Limits_are_set_on_the_issue_form_shown_in_the_listing_and_an_exhausted_token_says_why()
    {
        var ws = InletApp.NewWorkspace("webq");
        var page = await web.NewPage();
        await page.SignIn("alice", ws);
        await page.Open(ws, "tokens", "Manage upload tokens");

        // A bad limit: the API's problem lands next to the field it names, and nothing is issued.
        await page.GetByLabel("Reason").FillAsync("Two CSV files from site B");
        await page.GetByLabel("Most files").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create upload token" }).ClickAsync();
        await page.Locator("#max_files-error").Filter(new() { HasTextRegex = new("max_files") }).WaitForAsync();
        Assert.Equal("true", await page.GetByLabel("Most files").GetAttributeAsync("aria-invalid"));
        Assert.Equal(0, await page.Locator("table.tokens tbody tr").CountAsync());

        await page.GetByLabel("Most files").FillAsync("2");
        await page.GetByLabel("Most data in all").FillAsync("1");
        Assert.Equal("MB", await page.GetByLabel("Unit of the most data").InputValueAsync());
        await page.GetByLabel("Allowed files").FillAsync("*.csv, *.tsv");
        await page.Screenshot("tokens-quota-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create upload token" }).ClickAsync();
        var row = page.Locator("table.tokens tbody tr").First;
        await row.Locator("button.copy-token").WaitForAsync();
        var tid = (await row.GetAttributeAsync("data-tid"))!;
        Assert.Equal("at most 1.0 MB, 2 files; *.csv, *.tsv only", await row.Locator("td[data-label='Limits']").InnerTextAsync());
        var token = await page.CopyWith("Copy token");

        // Two files fill max_files: the token is exhausted and the listing says so, with the reason.
        var upload = await AzCopy.Copy(Path.Combine(LocalFiles.Folder(("a.csv", "id\n1\n"), ("b.tsv", "id\n2\n")).FullName, "*"), token);
        Assert.True(upload.Succeeded, upload.Output);
        await page.ReloadUntil($"tr[data-tid='{tid}'] .status-exhausted", "Manage upload tokens", 60, "the token shown as exhausted");
        var exhausted = page.Locator($"tr[data-tid='{tid}']");
        Assert.Contains("The token reached its quota with", await exhausted.Locator(".exhausted-reason").InnerTextAsync());
        Assert.Contains("2 of max_files 2 files used", await exhausted.Locator(".exhausted-reason").InnerTextAsync());
        Assert.Equal(0, await exhausted.Locator("button.revoke").CountAsync());
        await page.AssertRenderedCleanly("the tokens page with an exhausted token");
        await page.Screenshot("tokens-exhausted");

        await exhausted.Locator("a.audit-link").ClickAsync();
        await page.ReloadUntil("tr[data-type='exhausted']", "Audit trail", 30, "the exhaustion in the token's audit trail");
        Assert.Contains("2 of max_files 2 files used", await page.Locator("tr[data-type='exhausted']").InnerTextAsync());
        Assert.Contains("at most 1.0 MB, at most 2 files, *.csv, *.tsv only", await page.Locator("tr[data-type='issued']").InnerTextAsync());
    }
}
