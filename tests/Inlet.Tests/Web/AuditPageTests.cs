using System.Net.Http.Headers;
using Microsoft.Playwright;

namespace Inlet.Tests.Web;

/// <summary>The Audit page in Chromium (issue #17): filters, paging and the CSV download.</summary>
[Collection(nameof(RunsAlone))]
public sealed class AuditPageTests(BrowserHost web) : IClassFixture<BrowserHost>
{
    private async Task<HttpClient> Api(string user, string ws)
    {
        var client = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        var response = await client.PostAsJsonAsync("/api/dev/sign-in", new { user, workspaces = new[] { ws } });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        return client;
    }

    [Fact]
    public async Task The_audit_page_filters_by_event_person_and_date_pages_by_50_and_downloads_every_match_as_CSV()
    {
        var ws = InletApp.NewWorkspace("webaud");
        var alice = await Api("alice", ws);
        var bob = await Api("bob", ws);
        for (var i = 0; i < 55; i++)
            await alice.Issue(ws, new { reason = $"export {i}" });
        var bobs = await bob.Issue(ws, new { reason = "bob's token" });
        Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{bobs.Str("tid")}")).StatusCode);

        var page = await web.NewPage();
        await page.SignIn("alice", ws);
        await page.Open(ws, "audit", "Audit trail");
        var rows = page.Locator("table.timeline tbody tr");
        Assert.Equal(50, await rows.CountAsync());
        var lastOfFirst = long.Parse((await rows.Last.GetAttributeAsync("data-seq"))!);
        await page.Locator("#next-page").ClickAsync();
        await page.Locator("#first-page").WaitForAsync();
        Assert.Equal(7, await rows.CountAsync()); // 55 + 1 issued, 1 revoked: 57 in all
        Assert.True(long.Parse((await rows.First.GetAttributeAsync("data-seq"))!) > lastOfFirst);
        Assert.Equal(0, await page.Locator("#next-page").CountAsync());
        await page.Screenshot("audit-page-2");

        await page.GetByLabel("Event").SelectOptionAsync("revoked");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('table.timeline tbody tr').length === 1");
        Assert.Equal("revoked", await rows.First.GetAttributeAsync("data-type"));
        Assert.Contains("bob", await rows.First.InnerTextAsync());

        await page.GetByLabel("Event").SelectOptionAsync("");
        await page.GetByLabel("Person").FillAsync("bob");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('table.timeline tbody tr').length === 2");
        Assert.Equal(["issued", "revoked"], await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.type)"));

        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd");
        await page.GetByLabel("From").FillAsync(tomorrow);
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await page.GetByText("No events.").WaitForAsync();
        await page.GetByLabel("From").FillAsync("");
        await page.GetByLabel("To (inclusive)").FillAsync(DateTime.UtcNow.ToString("yyyy-MM-dd"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('table.timeline tbody tr').length === 2");
        await page.Screenshot("audit-filtered");

        // The download holds every entry the filters match (here bob's two), not just the page.
        await page.GetByLabel("Person").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await page.Locator("#next-page").WaitForAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());
        Assert.Equal($"audit-{ws}.csv", download.SuggestedFilename);
        var file = Path.Combine(Path.GetTempPath(), $"{ws}.csv");
        await download.SaveAsAsync(file);
        var lines = (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0).ToList();
        Assert.StartsWith("seq,at,wsid,type,tid,upload,table,by,hash", lines[0]);
        // Header, the 57 entries, and the download's own entry: it is recorded before the answer is sent.
        Assert.Equal(1 + 57 + 1, lines.Count);
        Assert.Contains(",audit_downloaded,", lines[^1]);
        var audited = await alice.GetJson($"/api/workspaces/{ws}/audit?type=audit_downloaded");
        Assert.Equal("alice", Assert.Single(audited.GetProperty("entries").EnumerateArray()).Str("by"));
        await page.AssertRenderedCleanly("audit page");
    }
}
