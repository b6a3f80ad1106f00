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

    [Fact]
    public async Task Approvals_required_is_1_by_default_and_anything_but_1_or_2_is_refused_naming_the_field()
    {
        var ws = InletApp.NewWorkspace("review2set");
        var alice = await app.SignedIn("alice", ws);
        var settings = await alice.GetJson($"/api/workspaces/{ws}/settings");
        Assert.Equal(1, settings.GetProperty("approvals_required").GetInt32());
        foreach (var wrong in new[] { "0", "3", "1.5", "\"2\"", "true", "[2]", "null" })
        {
            var put = await alice.PutAsync($"/api/workspaces/{ws}/settings",
                new StringContent($$"""{"approvals_required": {{wrong}}}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
            var problem = await put.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty("approvals_required", out _), $"{wrong}: {problem}");
        }
        Assert.Equal(1, (await alice.GetJson($"/api/workspaces/{ws}/settings")).GetProperty("approvals_required").GetInt32());

        // Setting one field keeps the other.
        Assert.Equal(HttpStatusCode.OK, (await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { inbox_approval = true })).StatusCode);
        var both = await (await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { approvals_required = 2 })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(both.GetProperty("inbox_approval").GetBoolean());
        Assert.Equal(2, both.GetProperty("approvals_required").GetInt32());
        var changed = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray()
            .Where(e => e.Str("type") == "settings_changed").Select(e => e.GetProperty("details")).ToList();
        Assert.Contains(changed, d => (d.Str("setting"), d.Str("from"), d.Str("to")) == ("approvals_required", "1", "2"));
    }

    [Fact]
    public async Task With_two_approvals_required_a_second_different_member_releases_the_file_and_a_rejection_after_one_approval_ends_it()
    {
        var ws = InletApp.NewWorkspace("review2");
        var alice = await app.SignedIn("alice", ws);
        var bob = await app.SignedIn("bob", ws);
        var carol = await app.SignedIn("carol", ws);
        var outsider = await app.SignedIn("mallory", InletApp.NewWorkspace("elsewhere"));
        Assert.Equal(HttpStatusCode.OK, (await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { inbox_approval = true, approvals_required = 2 })).StatusCode);

        var token = await alice.Issue(ws);
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("keep.csv", "fine data"), ("drop.csv", "wrong patient")), 2);
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().ToDictionary(f => f.Str("path"));
        var keep = inbox["inbox/keep.csv"].Str("id");
        var drop = inbox["inbox/drop.csv"].Str("id");
        Assert.Equal(2, inbox["inbox/keep.csv"].GetProperty("approvals_required").GetInt32());
        Assert.Equal(0, inbox["inbox/keep.csv"].GetProperty("approvals").GetArrayLength());

        // A non-member cannot approve, and nothing is recorded for it.
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.PostAsync($"/api/workspaces/{ws}/inbox/{keep}/approve", null)).StatusCode);

        // The first approval leaves the file pending and not downloadable.
        var first = await alice.PostAsync($"/api/workspaces/{ws}/inbox/{keep}/approve", null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstBody = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("pending", 2), (firstBody.Str("state"), firstBody.GetProperty("approvals_required").GetInt32()));
        Assert.Equal(["alice"], firstBody.GetProperty("approvals").EnumerateArray().Select(a => a.Str("by")));
        Assert.Equal(HttpStatusCode.Conflict, (await alice.GetAsync($"/api/workspaces/{ws}/files/content?path=inbox/keep.csv")).StatusCode);
        var pending = (await bob.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Single(f => f.Str("id") == keep);
        Assert.Equal("pending", pending.Str("state"));
        Assert.Equal(["alice"], pending.GetProperty("approvals").EnumerateArray().Select(a => a.Str("by")));

        // The same member again is refused, saying a second, different member must approve.
        var again = await alice.PostAsync($"/api/workspaces/{ws}/inbox/{keep}/approve", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("already approved", problem.Str("detail"));
        Assert.Contains("second, different member", problem.Str("detail"));

        // A second member releases it.
        var second = await bob.PostAsync($"/api/workspaces/{ws}/inbox/{keep}/approve", null);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var secondBody = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("available", secondBody.Str("state"));
        Assert.Equal(["alice", "bob"], secondBody.GetProperty("approvals").EnumerateArray().Select(a => a.Str("by")));
        Assert.Equal("fine data", await carol.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/keep.csv"));
        Assert.Equal(HttpStatusCode.Conflict, (await carol.PostAsync($"/api/workspaces/{ws}/inbox/{keep}/approve", null)).StatusCode);

        // A rejection after one approval ends it: rejected, and no further approvals are accepted.
        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync($"/api/workspaces/{ws}/inbox/{drop}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.PostAsJsonAsync($"/api/workspaces/{ws}/inbox/{drop}/reject", new { reason = "Wrong patient" })).StatusCode);
        var late = await carol.PostAsync($"/api/workspaces/{ws}/inbox/{drop}/approve", null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("rejected by bob", (await late.Content.ReadFromJsonAsync<JsonElement>()).Str("detail"));
        Assert.Equal(HttpStatusCode.NotFound, (await carol.GetAsync($"/api/workspaces/{ws}/files/content?path=inbox/drop.csv")).StatusCode);

        var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToDictionary(u => u.Str("name"));
        Assert.Equal(("routed", "approved", 2), (uploads["keep.csv"].Str("status"), uploads["keep.csv"].Str("review"), uploads["keep.csv"].GetProperty("approvals_required").GetInt32()));
        Assert.Equal(["alice", "bob"], uploads["keep.csv"].GetProperty("approvals").EnumerateArray().Select(a => a.Str("by")));
        Assert.Equal(("rejected", "rejected"), (uploads["drop.csv"].Str("status"), uploads["drop.csv"].Str("review")));
        Assert.Equal(["alice"], uploads["drop.csv"].GetProperty("approvals").EnumerateArray().Select(a => a.Str("by")));

        // Each approval is in the audit trail with who, when and how many of how many; the outsider's knock too, nothing else of theirs.
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray().ToList();
        var approvals = audit.Where(e => e.Str("type") is "upload_approval_given" or "upload_approved")
            .Select(e => (e.Str("type"), e.Str("by"), e.GetProperty("details").Str("upload"), e.GetProperty("details").GetProperty("approval").GetInt32(), e.GetProperty("details").GetProperty("of").GetInt32()))
            .ToList();
        Assert.Equal([("upload_approval_given", "alice", keep, 1, 2), ("upload_approved", "bob", keep, 2, 2), ("upload_approval_given", "alice", drop, 1, 2)], approvals);
        Assert.All(audit.Where(e => e.Str("type") is "upload_approval_given" or "upload_approved"), e => Assert.False(string.IsNullOrEmpty(e.Str("at"))));
        Assert.DoesNotContain(audit, e => e.Str("by") == "mallory" && e.Str("type") != "access_denied");
        Assert.Equal("bob", audit.Single(e => e.Str("type") == "upload_rejected_by_reviewer").Str("by"));
    }

    [Fact]
    public async Task Two_members_approving_at_the_same_moment_are_never_both_counted_as_the_first_of_two()
    {
        var ws = InletApp.NewWorkspace("review2race");
        var alice = await app.SignedIn("alice", ws);
        var bob = await app.SignedIn("bob", ws);
        Assert.Equal(HttpStatusCode.OK, (await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { inbox_approval = true, approvals_required = 2 })).StatusCode);
        var token = await alice.Issue(ws);
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("a.csv", "1"), ("b.csv", "2"), ("c.csv", "3"), ("d.csv", "4")), 4);
        var ids = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("id")).ToList();
        Assert.Equal(4, ids.Count);

        foreach (var id in ids)
        {
            var answers = await Task.WhenAll(
                alice.PostAsync($"/api/workspaces/{ws}/inbox/{id}/approve", null),
                bob.PostAsync($"/api/workspaces/{ws}/inbox/{id}/approve", null));
            var codes = answers.Select(a => a.StatusCode).ToList();
            // Either both counted in turn (1 of 2, then 2 of 2), or the later one lost the race (409, nothing written).
            Assert.All(codes, c => Assert.True(c is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{c}"));
            Assert.Contains(HttpStatusCode.OK, codes);
            var loser = codes.IndexOf(HttpStatusCode.Conflict);
            if (loser >= 0)
                Assert.Equal(HttpStatusCode.OK, (await (loser == 0 ? alice : bob).PostAsync($"/api/workspaces/{ws}/inbox/{id}/approve", null)).StatusCode);
            var file = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Single(f => f.Str("id") == id);
            Assert.Equal("available", file.Str("state"));
            Assert.Equal(["alice", "bob"], file.GetProperty("approvals").EnumerateArray().Select(a => a.Str("by")).Order());
        }
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray().ToList();
        Assert.Equal(4, audit.Count(e => e.Str("type") == "upload_approval_given"));
        Assert.Equal(4, audit.Count(e => e.Str("type") == "upload_approved"));
    }
}
