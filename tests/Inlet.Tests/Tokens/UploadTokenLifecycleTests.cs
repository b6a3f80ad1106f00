using Azure;
using Azure.Storage.Blobs;
using Inlet.Tokens.ExpireUploadToken;
using Wolverine.Tracking;

namespace Inlet.Tests.Tokens;

public sealed class UploadTokenLifecycleTests(InletApp app) : IClassFixture<InletApp>
{
    /// <summary>A token's container, with Inlet's key: in the landing account (docs/adr/0030).</summary>
    internal static BlobContainerClient AdminContainer(string name) => new BlobServiceClient(TestServices.Landing).GetBlobContainerClient(name);

    internal static DirectoryInfo MakeTree()
    {
        var root = Directory.CreateTempSubdirectory("upload-");
        Directory.CreateDirectory(Path.Combine(root.FullName, "site-a", "2026"));
        File.WriteAllText(Path.Combine(root.FullName, "readme.txt"), "hello");
        File.WriteAllBytes(Path.Combine(root.FullName, "site-a", "2026", "data.bin"), Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray());
        return root;
    }

    [Fact]
    public async Task An_issued_token_lets_AzCopy_upload_a_folder_but_cannot_read_list_or_delete()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws, new { reason = "Site A export", valid_days = 7 });

        Assert.Equal(ws, issued.Str("wsid"));
        Assert.Equal("inbox", issued.GetProperty("destination").Str("kind"));
        var token = issued.Str("token");
        Assert.Contains("si=upload", token);
        Assert.Contains("sig=", token);
        Assert.Contains(token, issued.Str("azcopy"));
        Assert.Equal(TimeSpan.FromDays(7), DateTimeOffset.Parse(issued.Str("valid_to")) - DateTimeOffset.Parse(issued.Str("valid_from")));

        var tree = MakeTree();
        await app.Host.Until(UploadsDecided.Of(issued, 2), async () =>
        {
            var result = await AzCopy.Copy(tree.FullName, token);
            Assert.True(result.Succeeded, result.Output);
        });

        // Ingestion moves the files on at once, so what arrived is read from the uploads records, not the container.
        var names = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Select(u => u.Str("name")).Order().ToList();
        Assert.Equal([$"{tree.Name}/readme.txt", $"{tree.Name}/site-a/2026/data.bin"], names);

        var withSas = new BlobContainerClient(new Uri(token));
        var read = await Assert.ThrowsAsync<RequestFailedException>(() => withSas.GetBlobClient($"{tree.Name}/readme.txt").DownloadContentAsync());
        Assert.Equal(403, read.Status);
        var list = await Assert.ThrowsAsync<RequestFailedException>(async () => { await foreach (var _ in withSas.GetBlobsAsync()) { } });
        Assert.Equal(403, list.Status);
        var delete = await Assert.ThrowsAsync<RequestFailedException>(() => withSas.GetBlobClient($"{tree.Name}/readme.txt").DeleteAsync());
        Assert.Equal(403, delete.Status);
    }

    [Fact]
    public async Task A_revoked_token_is_refused_by_storage_and_shows_as_revoked()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var tid = issued.Str("tid");

        var delete = await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        var again = await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}");
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);

        var tree = MakeTree();
        await TokenApi.Eventually(async () =>
        {
            var result = await AzCopy.Copy(tree.FullName, issued.Str("token"));
            return !result.Succeeded && result.Output.Contains("403", StringComparison.Ordinal);
        }, 30, "AzCopy is refused with 403 after the token was revoked");

        var summary = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}");
        Assert.Equal("revoked", summary.Str("status"));
        var events = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}/events");
        Assert.Equal(["issued", "revoked"], events.EnumerateArray().Select(e => e.Str("type")));
        Assert.Equal("alice", events[1].Str("by"));
    }

    [Fact]
    public async Task Listing_is_newest_first_and_never_shows_a_secret()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var first = await alice.Issue(ws, new { reason = "first" });
        var second = await alice.Issue(ws, new { reason = "second", folder = "site-a/raw" });
        var third = await alice.Issue(ws, new { reason = "third", upload_to_database = true });
        await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{first.Str("tid")}");

        var listing = await alice.GetAsync($"/api/workspaces/{ws}/upload-tokens");
        var text = await listing.Content.ReadAsStringAsync();
        Assert.DoesNotContain("sig=", text);
        var items = JsonDocument.Parse(text).RootElement.EnumerateArray().ToList();
        Assert.Equal([third.Str("tid"), second.Str("tid"), first.Str("tid")], items.Select(i => i.Str("tid")));
        Assert.Equal(["active", "active", "revoked"], items.Select(i => i.Str("status")));
        Assert.Equal("folder", items[1].GetProperty("destination").Str("kind"));
        Assert.Equal("site-a/raw", items[1].GetProperty("destination").Str("folder"));
        Assert.Equal("database", items[0].GetProperty("destination").Str("kind"));
        foreach (var item in items)
        {
            Assert.Equal("alice", item.Str("created_by"));
            Assert.Equal(0, item.GetProperty("files_received").GetInt64());
            Assert.Equal(JsonValueKind.Null, item.GetProperty("last_used_at").ValueKind);
        }

        foreach (var url in new[] { $"/api/workspaces/{ws}/audit", $"/api/workspaces/{ws}/upload-tokens/{first.Str("tid")}/events", $"/api/workspaces/{ws}/upload-tokens/{first.Str("tid")}" })
            Assert.DoesNotContain("sig=", await alice.GetStringAsync(url));

        var audit = await alice.GetJson($"/api/workspaces/{ws}/audit");
        Assert.Equal(["issued", "issued", "issued", "revoked"], audit.EnumerateArray().Select(e => e.Str("type")));
    }

    [Fact]
    public async Task Two_hundred_tokens_issued_at_once_get_two_hundred_containers_and_streams()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => alice.Issue(ws, new { reason = $"token {i}" })));

        Assert.Equal(200, issued.Select(i => i.Str("inboxid")).Distinct().Count());
        var listing = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens");
        Assert.Equal(200, listing.GetArrayLength());
        var service = new BlobServiceClient(TestServices.Landing);
        foreach (var token in issued.Take(20))
            Assert.True(await service.GetBlobContainerClient(token.Str("inboxid")).ExistsAsync());
        var audit = await alice.GetJson($"/api/workspaces/{ws}/audit");
        Assert.Equal(200, audit.EnumerateArray().Count(e => e.Str("type") == "issued"));
    }
}

/// <summary>Moves its fixture's clock, so it has a fixture of its own.</summary>
public sealed class UploadTokenExpiryTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task A_token_past_valid_to_expires_by_its_scheduled_message_and_storage_refuses_it()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws, new { reason = "one day only", valid_days = 1 });
        var tid = Guid.Parse(issued.Str("tid"));
        var validTo = DateTimeOffset.Parse(issued.Str("valid_to"));

        var scheduled = await ScheduledExpiries.For(app.Postgres, tid);
        Assert.Equal(validTo, scheduled);

        // Firing early changes nothing: the token is still active.
        await app.Host.InvokeMessageAndWaitAsync(new ExpireUploadToken(tid));
        Assert.Equal("active", (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).Str("status"));

        app.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        Assert.Equal("expired", (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).Str("status"));

        // What the durable scheduler delivers at valid_to:
        await app.Host.InvokeMessageAndWaitAsync(new ExpireUploadToken(tid));
        await app.Host.InvokeMessageAndWaitAsync(new ExpireUploadToken(tid));

        var events = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}/events");
        Assert.Equal(["issued", "expired"], events.EnumerateArray().Select(e => e.Str("type")));
        var result = await AzCopy.Copy(UploadTokenLifecycleTests.MakeTree().FullName, issued.Str("token"));
        Assert.False(result.Succeeded);
        Assert.Contains("403", result.Output);
    }

}
