using System.Net.Http.Headers;
using Microsoft.Playwright;

namespace Inlet.Tests.Web;

/// <summary>The Webhooks page in a real browser against a real Host process, with a real receiver and a real AzCopy upload.</summary>
[Collection(nameof(RunsAlone))]
public sealed class WebhooksPageTests(BrowserHost web) : IClassFixture<BrowserHost>
{
    private async Task<HttpClient> Api(string user, string wsid)
    {
        var client = new HttpClient { BaseAddress = new Uri(web.BaseUrl) };
        var response = await client.PostAsJsonAsync("/api/dev/sign-in", new { user, workspaces = new[] { wsid } });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        return client;
    }

    [Fact]
    public async Task A_webhook_is_added_with_its_secret_shown_once_its_deliveries_are_listed_its_secret_rotated_and_it_is_deleted()
    {
        var ws = InletApp.NewWorkspace("webhook");
        await using var receiver = new WebhookReceiver();
        var page = await web.NewPage();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // the confirmation before deleting
        await page.SignIn("alice", ws);
        await page.Open(ws, "webhooks", "Webhooks");
        Assert.Contains("No webhooks yet", await page.Locator("main").InnerTextAsync());

        // Refused, with the reason next to the field.
        await page.GetByLabel("URL").FillAsync("http://example.com/hook");
        await page.GetByLabel("File routed (upload.routed)").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
        await page.Locator("#url-error").Filter(new() { HasTextRegex = new("loopback") }).WaitForAsync();
        Assert.Equal("true", await page.GetByLabel("URL").GetAttributeAsync("aria-invalid"));

        await page.GetByLabel("URL").FillAsync(receiver.Url);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
        await page.Locator(".notice-warning").WaitForAsync();
        receiver.Secret = await page.CopyWith("Copy signing secret");
        Assert.True(receiver.Secret.StartsWith("whsec_", StringComparison.Ordinal), "the copied secret is a webhook secret");
        Assert.False((await page.ContentAsync()).Contains(receiver.Secret, StringComparison.Ordinal), "no secret in the page's HTML");
        var row = page.Locator("table.webhooks tbody tr");
        Assert.Equal(1, await row.CountAsync());
        Assert.Equal("active", await row.GetAttributeAsync("data-state"));
        await page.Screenshot("webhooks-added");

        var alice = await Api("alice", ws);
        var token = await alice.Issue(ws);
        await AzCopy.Upload(LocalFiles.Folder(("visits.csv", "a,b\n1,2\n")), token);
        var received = await receiver.Until(r => r.Count >= 1, "the upload.routed delivery");
        Assert.True(received[0].SignatureValid, "signed with the secret the page showed");

        await page.GetByRole(AriaRole.Link, new() { Name = "Deliveries" }).ClickAsync();
        await page.Locator("table.deliveries tbody tr[data-status='delivered'][data-type='upload.routed']").WaitForAsync();
        Assert.Contains("200", await page.Locator("table.deliveries").InnerTextAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Copy signing secret" }).CountAsync());
        foreach (var width in new[] { 390, 1280 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.AssertFitsWidth($"Webhooks page with deliveries at {width} px");
            await page.AssertRenderedCleanly("Webhooks page with deliveries");
        }
        await page.Screenshot("webhooks-deliveries");

        // Rotated: the new secret shown once, the previous one still signing for 24 hours, and the next delivery verifies with the new.
        var previous = receiver.Secret;
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new("^Rotate the signing secret") }).ClickAsync();
        await page.Locator(".notice-warning").WaitForAsync();
        receiver.Secret = await page.CopyWith("Copy signing secret");
        Assert.NotEqual(previous, receiver.Secret);
        Assert.False((await page.ContentAsync()).Contains(receiver.Secret, StringComparison.Ordinal), "no secret in the page's HTML");
        Assert.Contains("previous secret also signs until", await page.Locator("table.webhooks").InnerTextAsync());
        await AzCopy.Upload(LocalFiles.Folder(("visits2.csv", "a,b\n1,2\n")), await alice.Issue(ws));
        Assert.True((await receiver.Until(r => r.Count >= 2, "the delivery after the rotation"))[1].SignatureValid, "signed with the rotated secret");

        await page.GetByRole(AriaRole.Button, new() { NameRegex = new("^Delete webhook") }).ClickAsync();
        await page.Locator("main p.empty").WaitForAsync();
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/webhooks")).EnumerateArray());

        await page.Open(ws, "audit", "Audit trail");
        Assert.Equal(1, await page.Locator("tr[data-type='webhook_created']").CountAsync());
        Assert.Equal(1, await page.Locator("tr[data-type='webhook_deleted']").CountAsync());
        Assert.Equal(1, await page.Locator("tr[data-type='webhook_secret_rotated']").CountAsync());
    }
}
