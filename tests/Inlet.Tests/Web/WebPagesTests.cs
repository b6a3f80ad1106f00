using System.Text;
using Microsoft.Playwright;

namespace Inlet.Tests.Web;

/// <summary>
/// The web pages in a real browser against a real Host, PostgreSQL, Azurite and AzCopy: what a
/// workspace member does, end to end. Each test leaves screenshots under .local/test/screenshots.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class WebPagesTests(BrowserHost web) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task A_token_issued_and_copied_in_the_browser_uploads_with_AzCopy_to_the_Inbox_and_the_audit_trail()
    {
        var ws = InletApp.NewWorkspace("web");
        var page = await web.NewPage();
        await page.SignIn("alice", ws, screenshot: "sign-in");
        await page.Screenshot("workspace");

        // The Upload menu, by keyboard alone: Enter opens it, Escape closes it, Enter again and on.
        var menu = page.Locator("#upload-menu summary");
        await menu.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.PressAsync("Escape");
        Assert.False(await page.Locator("#upload-menu").EvaluateAsync<bool>("menu => menu.open"));
        Assert.True(await menu.EvaluateAsync<bool>("summary => summary === document.activeElement"));
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Link, new() { Name = "Manage upload tokens" }).PressAsync("Enter");
        await page.ExpectHeading("Manage upload tokens");
        Assert.Equal("30", await page.GetByLabel("Valid for (days)").InputValueAsync());

        var tid = await page.CreateToken("Nightly export from site A");
        Assert.Contains("can be copied only now", await page.Locator(".notice-warning").InnerTextAsync());
        // Checked without printing: a failing assertion must not put a secret in the test log.
        var token = await page.CopyWith("Copy token");
        Assert.True(token.StartsWith("http", StringComparison.Ordinal) && token.Contains("sig=", StringComparison.Ordinal), "the copied token is a SAS URL");
        var command = await page.CopyWith("Copy AzCopy command");
        Assert.True(command.StartsWith("azcopy copy ", StringComparison.Ordinal) && command.Contains(token, StringComparison.Ordinal), "the copied command is AzCopy with the token");
        // Even now the secret lives only in the page's memory, never in its HTML.
        Assert.False((await page.ContentAsync()).Contains("sig=", StringComparison.Ordinal), "no secret in the page's HTML");
        await page.Screenshot("tokens-new");

        var upload = await AzCopy.Copy(Path.Combine(LocalFiles.Folder(("site-a-export.csv", "id,value\n1,42\n")).FullName, "*"), token);
        Assert.True(upload.Succeeded, upload.Output);

        await page.GetByRole(AriaRole.Link, new() { Name = "Inbox" }).ClickAsync();
        await page.ReloadUntil("tr[data-path='inbox/site-a-export.csv']", "Inbox", 60, "the uploaded file on the Inbox page");
        var row = page.Locator("tr[data-path='inbox/site-a-export.csv']");
        Assert.Contains("Nightly export from site A", await row.InnerTextAsync());
        Assert.Contains("14 bytes", await row.InnerTextAsync());
        await page.Screenshot("inbox");

        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Button).ClickAsync());
        Assert.Equal("site-a-export.csv", download.SuggestedFilename);
        Assert.Equal("id,value\n1,42\n", await File.ReadAllTextAsync((await download.PathAsync())!));

        // Back on the tokens page after leaving it: no copy button, and no secret anywhere in the page.
        await page.Open(ws, "tokens", "Manage upload tokens");
        await page.Locator($"tr[data-tid='{tid}']").WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { NameRegex = new("^Copy") }).CountAsync());
        var html = await page.ContentAsync();
        Assert.False(html.Contains("sig=", StringComparison.Ordinal) || html.Contains(token.Split('?')[1], StringComparison.Ordinal),
            "the page holds no secret once its creator has left it");
        Assert.Equal(0, await page.Locator(".notice-warning").CountAsync());

        await page.Locator($"tr[data-tid='{tid}'] a.audit-link").ClickAsync();
        await page.ReloadUntil("tr[data-type='used']", "Audit trail", 60, "a 'used' entry in the token's audit trail");
        Assert.Equal(tid, await page.GetByLabel("Token").InputValueAsync());
        Assert.Contains("1 file, 14 bytes", await page.Locator("tr[data-type='used']").InnerTextAsync());
        Assert.Equal(1, await page.Locator("tr[data-type='issued']").CountAsync());
        await page.Screenshot("audit");

        await page.Open(ws, "tokens", "Manage upload tokens");
        var tokenRow = page.Locator($"tr[data-tid='{tid}']");
        Assert.Contains("1", await tokenRow.Locator("td[data-label='Files']").InnerTextAsync());
        Assert.NotEqual("—", await tokenRow.Locator("td[data-label='Last used']").InnerTextAsync());
    }

    [Fact]
    public async Task A_database_token_loads_a_CSV_with_its_Table_Schema_and_the_Database_page_shows_typed_columns()
    {
        var ws = InletApp.NewWorkspace("webdb");
        var page = await web.NewPage();
        await page.SignIn("alice", ws);
        await page.Open(ws, "tokens", "Manage upload tokens");
        await page.CreateToken("Visits from site A", toDatabase: true);
        Assert.Contains("Database", await page.Locator("table.tokens tbody tr").First.Locator("td[data-label='Destination']").InnerTextAsync());
        var token = await page.CopyWith("Copy token");

        var files = LocalFiles.Folder(
            ("visits.csv", "site,visit_date,patients\nA,2026-11-01,12\nA,2026-11-02,9\nB,2026-11-02,31\n\"=HYPERLINK(\"\"http://evil.example\"\")\",2026-11-03,-5\n"),
            ("visits.schema.json", """
                { "fields": [
                    { "name": "site", "type": "string", "description": "Site code" },
                    { "name": "visit_date", "type": "date", "description": "Day of the visit" },
                    { "name": "patients", "type": "integer", "description": "Patients seen that day" } ] }
                """),
            ("broken.schema.json", "{ \"fields\": [ { \"name\": "));
        var upload = await AzCopy.Copy(Path.Combine(files.FullName, "*"), token);
        Assert.True(upload.Succeeded, upload.Output);

        await page.Open(ws, "database", "Database");
        await page.ReloadUntil("#table-visits", "Database", 90, "the visits table on the Database page");
        var table = page.Locator("#table-visits");
        Assert.Equal("4", await table.Locator(".row-count").InnerTextAsync());
        var columns = table.Locator("table.columns tbody tr");
        Assert.Equal(["site", "visit_date", "patients"], await columns.Locator("td[data-label='Column']").AllInnerTextsAsync());
        Assert.Equal(["date", "bigint"], (await columns.Locator("td[data-label='Type']").AllInnerTextsAsync()).Skip(1));
        Assert.Contains("Day of the visit", await columns.Nth(1).InnerTextAsync());
        Assert.Contains("2026-11-02", await table.Locator("table.preview").InnerTextAsync());
        await page.Screenshot("database");

        // The download is the spreadsheet-safe CSV (ADR 33): the formula is text, the negative number a number.
        var download = await page.RunAndWaitForDownloadAsync(() => table.GetByRole(AriaRole.Button, new() { Name = "Download visits as CSV" }).ClickAsync());
        Assert.Equal("visits.csv", download.SuggestedFilename);
        var saved = Path.Combine(Path.GetTempPath(), $"{ws}-visits.csv");
        await download.SaveAsAsync(saved);
        var lines = await File.ReadAllLinesAsync(saved);
        Assert.Equal("site,visit_date,patients", lines[0]);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\",2026-11-03,-5", lines);
        Assert.Contains("A,2026-11-01,12", lines);

        await page.Open(ws, "uploads", "Uploads");
        await page.ReloadUntil("tr.rejected", "Uploads", 60, "the malformed schema listed as rejected");
        Assert.Equal(2, await page.Locator("tbody tr", new() { HasText = "routed" }).CountAsync());
        var rejected = page.Locator("tr.rejected");
        Assert.Contains("broken.schema.json", await rejected.Locator("td[data-label='Name']").InnerTextAsync());
        Assert.Contains("broken.schema.json", await rejected.Locator("td[data-label='Why rejected']").InnerTextAsync());
        Assert.Contains("table:visits", await page.Locator("tbody tr", new() { HasText = "visits.csv" }).InnerTextAsync());
        await page.Screenshot("uploads");

        // Every page, with content, fits a phone and a laptop without horizontal scrolling.
        string[] pages = ["", "tokens", "files?folder=inbox", "files?folder=", "database", "uploads", "audit"];
        string[] headings = [$"Workspace {ws}", "Manage upload tokens", "Inbox", "All files", "Database", "Uploads", "Audit trail"];
        foreach (var width in new[] { 390, 1280 })
        {
            await page.SetViewportSizeAsync(width, 900);
            for (var i = 0; i < pages.Length; i++)
            {
                await page.Open(ws, pages[i], headings[i]);
                await page.AssertFitsWidth($"{headings[i]} at {width} px");
                await page.AssertRenderedCleanly(headings[i]);
                if (width == 390)
                    await page.Screenshot($"mobile-{(pages[i] == "" ? "workspace" : pages[i].Split('?')[0] + (pages[i].EndsWith('=') ? "-all" : ""))}");
            }
        }
    }

    [Fact]
    public async Task A_CSV_with_unreadable_rows_loads_the_rest_and_the_Database_page_lists_each_one_with_its_line_and_reason_page_by_page()
    {
        var ws = InletApp.NewWorkspace("webrej");
        var page = await web.NewPage();
        await page.SignIn("alice", ws);
        await page.Open(ws, "tokens", "Manage upload tokens");
        await page.CreateToken("Ragged export", toDatabase: true);
        var token = await page.CopyWith("Copy token");

        // 2,000 good rows; every 20th row after them has a field too many (103 in all: more than one page of 100).
        var csv = new StringBuilder("id,site,count\n");
        var bad = new List<int>();
        for (var i = 1; i <= 2000 + 103 * 20; i++)
        {
            var line = i + 1; // the header is line 1
            if (i > 2000 && (i - 2000) % 20 == 0) { csv.Append($"{i},S{i % 7},{i % 13},stray\n"); bad.Add(line); }
            else csv.Append($"{i},S{i % 7},{i % 13}\n");
        }
        Assert.Equal(103, bad.Count);
        var upload = await AzCopy.Copy(Path.Combine(LocalFiles.Folder(("ragged.csv", csv.ToString())).FullName, "*"), token);
        Assert.True(upload.Succeeded, upload.Output);

        await page.Open(ws, "database", "Database");
        await page.ReloadUntil("#table-ragged", "Database", 90, "the ragged table on the Database page");
        var table = page.Locator("#table-ragged");
        Assert.Equal((2000 + 103 * 20 - 103).ToString(), await table.Locator(".row-count").InnerTextAsync());
        Assert.Equal("103", await table.Locator(".rejected-count").InnerTextAsync());
        var panel = table.Locator("details.rejects-panel");
        await panel.Locator("summary").ClickAsync();
        var rows = panel.Locator("table.rejects-table tbody tr");
        Assert.Equal(100, await rows.CountAsync());
        Assert.Equal(bad[0].ToString(), await rows.First.Locator("td[data-label='Line']").InnerTextAsync());
        Assert.Contains("4 values but the header has 3", await rows.First.Locator("td[data-label='Reason']").InnerTextAsync());
        Assert.Contains("stray", await rows.First.Locator("td[data-label='As written']").InnerTextAsync());
        await page.Screenshot("database-rejects");
        var more = panel.GetByRole(AriaRole.Button, new() { Name = "Show more" });
        await more.ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(103);
        Assert.Equal(bad.Select(l => l.ToString()), await rows.Locator("td[data-label='Line']").AllInnerTextsAsync());
        await Assertions.Expect(more).ToBeHiddenAsync();
        await page.AssertRenderedCleanly("Database with rejects");
    }

    [Fact]
    public async Task Invalid_form_input_is_explained_next_to_its_field_and_a_revoked_token_shows_revoked()
    {
        var ws = InletApp.NewWorkspace("webrv");
        var page = await web.NewPage();
        await page.SignIn("bob", ws);
        await page.Open(ws, "tokens", "Manage upload tokens");
        var create = page.GetByRole(AriaRole.Button, new() { Name = "Create upload token" });

        await create.ClickAsync();
        await ExpectFieldError(page, "reason", "reason is required");

        await page.GetByLabel("Reason").FillAsync("Lab instrument");
        await page.GetByLabel("Valid for (days)").FillAsync("45");
        await create.ClickAsync();
        await ExpectFieldError(page, "valid_days", "between 1 and 30");
        Assert.Null(await page.Locator("#reason").GetAttributeAsync("aria-invalid"));

        await page.GetByLabel("Valid for (days)").FillAsync("7");
        await page.GetByLabel("Move files directly to:").CheckAsync();
        await page.Locator("#folder").FillAsync("../outside");
        await create.ClickAsync();
        await ExpectFieldError(page, "folder", "..");
        await page.Screenshot("tokens-errors");
        Assert.Equal(0, await page.Locator("table.tokens tbody tr").CountAsync());

        await page.Locator("#folder").FillAsync("lab/raw");
        await create.ClickAsync();
        var row = page.Locator("table.tokens tbody tr").First;
        await row.Locator("button.copy-token").WaitForAsync();
        Assert.Contains("Folder lab/raw", await row.InnerTextAsync());
        Assert.Contains("active", await row.Locator("td[data-label='Status']").InnerTextAsync());

        // Files sent with a folder token are found by browsing the workspace's folders.
        var upload = await AzCopy.Copy(Path.Combine(LocalFiles.Folder(("reading.txt", "42\n")).FullName, "*"), await page.CopyWith("Copy token"));
        Assert.True(upload.Succeeded, upload.Output);
        await page.Open(ws, "files?folder=", "All files");
        await page.ReloadUntil("a[href$='folder=lab']", "All files", 60, "the folder lab on the All files page");
        await page.GetByRole(AriaRole.Link, new() { Name = "lab/" }).ClickAsync();
        await page.ExpectHeading("Folder lab");
        await page.GetByRole(AriaRole.Link, new() { Name = "raw/" }).ClickAsync();
        await page.ExpectHeading("Folder lab/raw");
        Assert.Contains("Lab instrument", await page.Locator("tr[data-path='lab/raw/reading.txt']").InnerTextAsync());
        await page.Screenshot("folder");

        await page.Open(ws, "tokens", "Manage upload tokens");
        row = page.Locator("table.tokens tbody tr").First;

        string? asked = null;
        page.Dialog += async (_, dialog) => { asked = dialog.Message; await dialog.AcceptAsync(); };
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await page.Locator("table.tokens tbody tr td[data-label='Status']", new() { HasText = "revoked" }).WaitForAsync();
        Assert.Contains("Lab instrument", asked);
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).CountAsync());
        await page.Screenshot("tokens-revoked");

        await page.ReloadAsync();
        await page.ExpectHeading("Manage upload tokens");
        Assert.Contains("revoked", await page.Locator("table.tokens tbody tr").First.Locator("td[data-label='Status']").InnerTextAsync());

        // A workspace the user is not a member of: the API's refusal, and nothing about it.
        await page.GotoAsync($"/#/ws/{InletApp.NewWorkspace("other")}/tokens");
        await page.Locator(".notice-error", new() { HasText = "not list this workspace" }).WaitForAsync();
        Assert.Equal(0, await page.Locator("table").CountAsync());
    }

    [Fact]
    public async Task The_pages_are_served_with_headers_that_keep_a_fresh_token_in_the_page()
    {
        var response = await web.Host.Client.GetAsync("/");
        response.EnsureSuccessStatusCode();
        Assert.Contains("/app/main.js", await response.Content.ReadAsStringAsync());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        Assert.Contains("script-src 'self'", string.Join(";", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("no-referrer", string.Join("", response.Headers.GetValues("Referrer-Policy")));
        var config = await web.Host.Client.GetJson("/api/web/config");
        Assert.Equal("development", config.Str("sign_in"));
    }

    private static async Task ExpectFieldError(IPage page, string field, string expected)
    {
        var error = page.Locator($"#{field}-error");
        await error.Filter(new() { HasText = expected }).WaitForAsync();
        Assert.Equal("true", await page.Locator($"#{field}").GetAttributeAsync("aria-invalid"));
        // The message is tied to its field for screen readers, too.
        Assert.Contains($"{field}-error", await page.Locator($"#{field}").GetAttributeAsync("aria-describedby"));
    }

    [Fact]
    public async Task With_Inbox_approval_on_a_member_approves_one_file_and_rejects_another_with_a_reason_on_the_Inbox_page()
    {
        var ws = InletApp.NewWorkspace("webreview");
        var page = await web.NewPage();
        await page.SignIn("alice", ws);
        await page.Open(ws, "files?folder=inbox", "Inbox");
        await page.RunAndWaitForResponseAsync(() => page.GetByLabel("Hold new Inbox files until a member approves them").CheckAsync(),
            response => response.Url.EndsWith("/settings") && response.Request.Method == "PUT");
        await page.ReloadAsync();
        await page.ExpectHeading("Inbox");
        Assert.True(await page.GetByLabel("Hold new Inbox files until a member approves them").IsCheckedAsync());

        await page.Open(ws, "tokens", "Manage upload tokens");
        await page.CreateToken("For review");
        var token = await page.CopyWith("Copy token");
        var upload = await AzCopy.Copy(Path.Combine(LocalFiles.Folder(("keep.csv", "a\n1\n"), ("drop.csv", "b\n2\n")).FullName, "*"), token);
        Assert.True(upload.Succeeded, upload.Output);

        await page.Open(ws, "files?folder=inbox", "Inbox");
        await page.ReloadUntil("tr[data-path='inbox/drop.csv']", "Inbox", 60, "both files waiting on the Inbox page");
        await page.ReloadUntil("tr[data-path='inbox/keep.csv']", "Inbox", 10, "both files waiting on the Inbox page");
        Assert.Contains("Awaiting approval", await page.Locator("tr[data-path='inbox/keep.csv']").InnerTextAsync());
        await page.Screenshot("inbox-review");

        await page.GetByRole(AriaRole.Button, new() { Name = "Approve inbox/keep.csv" }).ClickAsync();
        await page.Locator("tr[data-path='inbox/keep.csv'] button.download").WaitForAsync();
        var drop = page.Locator("tr[data-path='inbox/drop.csv']");
        await drop.GetByRole(AriaRole.Button, new() { Name = "Reject inbox/drop.csv" }).ClickAsync();
        await drop.Locator(".field-error").Filter(new() { HasText = "Say why" }).WaitForAsync(); // the API's reason, next to the field
        await drop.GetByLabel("Reason").FillAsync("Wrong study");
        await drop.GetByRole(AriaRole.Button, new() { Name = "Reject inbox/drop.csv" }).ClickAsync();
        await drop.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Contains("Available", await page.Locator("tr[data-path='inbox/keep.csv']").InnerTextAsync());

        await page.Open(ws, "uploads", "Uploads");
        Assert.Contains("Wrong study", await page.Locator("main").InnerTextAsync());
        await page.Open(ws, "audit", "Audit trail");
        Assert.Contains("alice", await page.Locator("tr[data-type='upload_approved']").InnerTextAsync());
        var rejected = await page.Locator("tr[data-type='upload_rejected_by_reviewer']").InnerTextAsync();
        Assert.Contains("alice", rejected);
        Assert.Contains("Wrong study", rejected);
        await page.Screenshot("audit-review");
    }

    [Fact]
    public async Task With_two_approvals_required_the_Inbox_page_shows_who_approved_and_how_many_of_how_many()
    {
        var ws = InletApp.NewWorkspace("webreview2");
        var page = await web.NewPage();
        await page.SignIn("alice", ws);
        await page.Open(ws, "files?folder=inbox", "Inbox");
        await page.RunAndWaitForResponseAsync(() => page.GetByLabel("Hold new Inbox files until a member approves them").CheckAsync(),
            response => response.Url.EndsWith("/settings") && response.Request.Method == "PUT");
        await page.RunAndWaitForResponseAsync(() => page.GetByLabel("Approvals needed to release a file").SelectOptionAsync("2"),
            response => response.Url.EndsWith("/settings") && response.Request.Method == "PUT");
        await page.ReloadAsync();
        await page.ExpectHeading("Inbox");
        Assert.Equal("2", await page.GetByLabel("Approvals needed to release a file").InputValueAsync());

        await page.Open(ws, "tokens", "Manage upload tokens");
        await page.CreateToken("For two-person review");
        var token = await page.CopyWith("Copy token");
        var upload = await AzCopy.Copy(Path.Combine(LocalFiles.Folder(("pair.csv", "a\n1\n")).FullName, "*"), token);
        Assert.True(upload.Succeeded, upload.Output);

        await page.Open(ws, "files?folder=inbox", "Inbox");
        await page.ReloadUntil("tr[data-path='inbox/pair.csv']", "Inbox", 60, "the file waiting on the Inbox page");
        var row = page.Locator("tr[data-path='inbox/pair.csv']");
        Assert.Contains("0 of 2 approvals", await row.InnerTextAsync());

        await row.GetByRole(AriaRole.Button, new() { Name = "Approve inbox/pair.csv" }).ClickAsync();
        await row.Filter(new() { HasText = "1 of 2 approvals, approved by alice" }).WaitForAsync();
        Assert.Contains("Awaiting approval", await row.InnerTextAsync());
        // The same member again: the API's refusal is shown next to the file, and nothing changes.
        await row.GetByRole(AriaRole.Button, new() { Name = "Approve inbox/pair.csv" }).ClickAsync();
        await row.Locator(".field-error").Filter(new() { HasText = "second, different member" }).WaitForAsync();
        await page.Screenshot("inbox-two-person-review-first");

        var bob = await web.NewPage();
        await bob.SignIn("bob", ws);
        await bob.Open(ws, "files?folder=inbox", "Inbox");
        var bobRow = bob.Locator("tr[data-path='inbox/pair.csv']");
        Assert.Contains("1 of 2 approvals, approved by alice", await bobRow.InnerTextAsync());
        await bobRow.GetByRole(AriaRole.Button, new() { Name = "Approve inbox/pair.csv" }).ClickAsync();
        await bob.Locator("tr[data-path='inbox/pair.csv'] button.download").WaitForAsync();
        var released = await bob.Locator("tr[data-path='inbox/pair.csv']").InnerTextAsync();
        Assert.Contains("Available", released);
        Assert.Contains("approved by alice, bob (2 of 2)", released);
        await bob.Screenshot("inbox-two-person-review-released");

        await bob.Open(ws, "audit", "Audit trail");
        Assert.Contains("Approval 1 of 2", await bob.Locator("tr[data-type='upload_approval_given']").InnerTextAsync());
        Assert.Contains("bob", await bob.Locator("tr[data-type='upload_approved']").InnerTextAsync());
    }

    [Fact]
    public async Task A_file_blocked_by_the_malware_scan_shows_blocked_with_its_signature_and_is_not_on_the_Inbox_page()
    {
        var ws = InletApp.NewWorkspace("webscan");
        var page = await web.NewPage();
        await page.SignIn("alice", ws);
        await page.Open(ws, "tokens", "Manage upload tokens");
        await page.CreateToken("Scanned");
        var token = await page.CopyWith("Copy token");
        var upload = await AzCopy.Copy(Path.Combine(LocalFiles.Folder(("ok.txt", "fine"), ("bad.txt", Scanning.MalwareScanningTests.Eicar)).FullName, "*"), token);
        Assert.True(upload.Succeeded, upload.Output);

        await page.Open(ws, "files?folder=inbox", "Inbox");
        await page.ReloadUntil("tr[data-path='inbox/ok.txt']", "Inbox", 60, "the clean file on the Inbox page");
        await page.ReloadUntil(".scan-note", "Inbox", 30, "the Inbox page says a file was blocked");
        Assert.Contains("blocked by the malware scan", await page.Locator(".scan-note").InnerTextAsync());
        Assert.Equal(0, await page.Locator("tr[data-path='inbox/bad.txt']").CountAsync());

        await page.Open(ws, "uploads", "Uploads");
        var main = await page.Locator("main").InnerTextAsync();
        Assert.Contains("Blocked: ", main);
        Assert.Contains("EICAR", main, StringComparison.OrdinalIgnoreCase); // Eicar-Test-Signature or Inlet.Test.EICAR, whichever clamd reports first
        Assert.Contains("Clean", main);
        await page.Screenshot("uploads-scan");
    }
}
