namespace Inlet.Tests.Ingestion;

/// <summary>A workspace that reviews its Inbox: files wait as pending until a member approves or rejects them.</summary>
public sealed class InboxApprovalTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task With_approval_on_files_wait_as_pending_until_approved_or_rejected_and_the_audit_trail_says_who_and_why()
    {
        var ws = InletApp.NewWorkspace("review");
        var alice = await app.SignedIn("alice", ws);
        var bob = await app.SignedIn("bob", ws);
        Assert.False((await alice.GetJson($"/api/workspaces/{ws}/settings")).GetProperty("inbox_approval").GetBoolean());
        var put = await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { inbox_approval = true });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.True((await bob.GetJson($"/api/workspaces/{ws}/settings")).GetProperty("inbox_approval").GetBoolean());

        var token = await alice.Issue(ws);
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("good.csv", "fine data"), ("bad.csv", "wrong patient")), 2);
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().ToList();
        Assert.Equal(2, inbox.Count);
        Assert.All(inbox, f => Assert.Equal("pending", f.Str("state")));
        Assert.All((await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray(), u => Assert.Equal("pending", u.Str("status")));
        var waiting = await alice.GetAsync($"/api/workspaces/{ws}/files/content?path=inbox/good.csv");
        Assert.Equal(HttpStatusCode.Conflict, waiting.StatusCode);
        Assert.Contains("approve", await waiting.Content.ReadAsStringAsync());

        var good = inbox.Single(f => f.Str("path") == "inbox/good.csv").Str("id");
        var bad = inbox.Single(f => f.Str("path") == "inbox/bad.csv").Str("id");
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.PostAsJsonAsync($"/api/workspaces/{ws}/inbox/{bad}/reject", new { reason = "" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.PostAsync($"/api/workspaces/{ws}/inbox/{good}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.PostAsJsonAsync($"/api/workspaces/{ws}/inbox/{bad}/reject", new { reason = "Contains a patient of another study" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await bob.PostAsync($"/api/workspaces/{ws}/inbox/{good}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/workspaces/{ws}/inbox/{Guid.NewGuid()}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/workspaces/{ws}/inbox/not-an-id/approve", null)).StatusCode);

        Assert.Equal("fine data", await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/good.csv"));
        var listed = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().ToList();
        Assert.Equal([("inbox/good.csv", "available")], listed.Select(f => (f.Str("path"), f.Str("state"))));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/workspaces/{ws}/files/content?path=inbox/bad.csv")).StatusCode);
        var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToDictionary(u => u.Str("name"));
        Assert.Equal("routed", uploads["good.csv"].Str("status"));
        Assert.Equal("rejected", uploads["bad.csv"].Str("status"));
        Assert.Contains("bob", uploads["bad.csv"].Str("error"));
        Assert.Contains("Contains a patient of another study", uploads["bad.csv"].Str("error"));

        var everything = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray().ToList();
        // Members' own actions are in the trail too (issue #17): turning approval on, and the download.
        Assert.Equal("settings_changed", everything[0].Str("type"));
        Assert.Equal("alice", everything[0].Str("by"));
        Assert.Equal("alice", everything.Single(e => e.Str("type") == "file_downloaded").Str("by"));
        var audit = everything.Where(e => e.Str("type") is not ("settings_changed" or "file_downloaded")).ToList();
        var types = audit.Select(e => e.Str("type")).ToList();
        Assert.Equal("issued", types[0]);
        Assert.True(types.IndexOf("upload_received") < types.IndexOf("upload_approved"));
        var approved = audit.Single(e => e.Str("type") == "upload_approved");
        Assert.Equal(("bob", good), (approved.Str("by"), approved.GetProperty("details").Str("upload")));
        var rejected = audit.Single(e => e.Str("type") == "upload_rejected_by_reviewer");
        Assert.Equal(("bob", "Contains a patient of another study"), (rejected.Str("by"), rejected.GetProperty("details").Str("reason")));
        Assert.All(audit, e => Assert.Equal(token.Str("tid"), e.Str("tid")));
    }
}
