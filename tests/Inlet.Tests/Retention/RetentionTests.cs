using Azure.Storage.Blobs;
using Inlet.Ingestion.Retention;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Inlet.Ingestion.WorkspaceFiles;
using Inlet.Tokens.ArchiveUploadToken;
using Inlet.Tokens.ExpireUploadToken;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Wolverine;

namespace Inlet.Tests.Retention;

/// <summary>
/// The sweeps' own rhythm is set to a day here, so that each test drives them itself (RunOnce, as a node's
/// timer would) and knows exactly which call did what; <see cref="RetentionTimerTests"/> covers the timer.
/// </summary>
public sealed class RetentionApp : InletApp
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ingestion:Retention:SweepInterval", "1.00:00:00");
        builder.UseSetting("Tokens:Retention:SweepInterval", "1.00:00:00");
    }
}

/// <summary>
/// Each test class advances its own fixture's clock by months (a token issued after that would start in
/// storage's future), so every scenario has a fixture of its own; they run alone, never beside timing-sensitive tests.
/// </summary>
public abstract class RetentionTestBase(RetentionApp app)
{
    protected RetentionApp App { get; } = app;

    protected IDocumentStore Store => App.Host.Services.GetRequiredService<IDocumentStore>();

    protected static BlobContainerClient Workspace(string ws) =>
        new BlobServiceClient(TestServices.Storage).GetBlobContainerClient(WorkspaceStorage.ContainerFor(ws));

    protected async Task<List<UploadRecord>> Records(string ws)
    {
        await using var query = Store.QuerySession();
        return (await query.Query<UploadRecord>().Where(r => r.Wsid == ws).ToListAsync()).ToList();
    }

    protected async Task<List<UploadRecord>> Decided(string ws, int count)
    {
        var records = new List<UploadRecord>();
        await TokenApi.Eventually(async () =>
        {
            records = await Records(ws);
            return records.Count >= count && records.All(r => r.Status != UploadStatus.Pending || r.Review == "pending");
        }, 60, $"{count} uploads decided in {ws} (saw {string.Join(", ", records.Select(r => r.Name + ":" + r.Status))})");
        return records;
    }

    protected static async Task<bool> Exists(string ws, string path) => (await Workspace(ws).GetBlobClient(path).ExistsAsync()).Value;

}

[Collection(nameof(RunsAlone))]
public sealed class RejectedUploadRetentionTests(RetentionApp app) : RetentionTestBase(app), IClassFixture<RetentionApp>
{
    [Fact]
    public async Task Rejected_uploads_keep_their_bytes_for_the_retention_then_one_node_deletes_them_and_the_record_and_audit_say_so()
    {
        var ws = InletApp.NewWorkspace("keep");
        var alice = await App.SignedIn("alice", ws);
        Assert.Equal(HttpStatusCode.OK, (await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { inbox_approval = true })).StatusCode);

        // Three ways to be rejected: an unsafe name (quarantined), refused by the database (kept in the Inbox),
        // turned away on review (kept, unlisted). And one file that is let through and must stay.
        var inbox = await alice.Issue(ws);
        var withSas = new BlobContainerClient(new Uri(inbox.Str("token")));
        await withSas.GetBlobClient("   /only-spaces.txt").UploadAsync(BinaryData.FromString("unsafe name"));
        await withSas.GetBlobClient("keep.txt").UploadAsync(BinaryData.FromString("approved, stays"));
        await withSas.GetBlobClient("turned-away.txt").UploadAsync(BinaryData.FromString("wrong patient"));
        var database = await alice.Issue(ws, new { reason = "tables", upload_to_database = true });
        var upload = await AzCopy.Copy(LocalFiles.Folder(("bad.csv", "id\n1\nnot-a-number\n"),
            ("bad.schema.json", """{ "fields": [ { "name": "id", "type": "integer" } ] }""")).FullName + "/*", database.Str("token"));
        Assert.True(upload.Succeeded, upload.Output);

        var records = await Decided(ws, 5);
        var keep = records.Single(r => r.Name == "keep.txt");
        var away = records.Single(r => r.Name == "turned-away.txt");
        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync($"/api/workspaces/{ws}/inbox/{keep.Id}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsJsonAsync($"/api/workspaces/{ws}/inbox/{away.Id}/reject", new { reason = "wrong patient" })).StatusCode);
        records = await Records(ws);
        var rejected = records.Where(r => r.Status == UploadStatus.Rejected).ToDictionary(r => r.Name);
        Assert.Equal(["   /only-spaces.txt", "bad.csv", "turned-away.txt"], rejected.Keys.Order());
        Assert.Equal("inbox/bad.csv", rejected["bad.csv"].Location);
        Assert.StartsWith(".quarantine/", rejected["   /only-spaces.txt"].Location);
        foreach (var r in rejected.Values)
            Assert.True(await Exists(ws, r.Location), $"{r.Name}'s bytes are kept at {r.Location}");

        // Before the retention is over nothing goes, however often a node looks.
        var sweep = App.Host.Services.GetRequiredService<RetentionSweep>();
        await sweep.RunOnce(default);
        App.Clock.Advance(TimeSpan.FromDays(29));
        await sweep.RunOnce(default);
        foreach (var r in rejected.Values)
            Assert.True(await Exists(ws, r.Location), $"{r.Name}'s bytes are still kept after 29 days");
        Assert.Contains("inbox/bad.csv", (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")));

        // The quarantined copy went by other means already: the purge must still complete and be recorded.
        await Workspace(ws).DeleteBlobAsync(rejected["   /only-spaces.txt"].Location);
        App.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        // Two nodes purge the same uploads at the same moment, each twice: each purge is recorded once.
        await using var second = await App.StartHost();
        var other = second.Services.GetRequiredService<RetentionSweep>();
        var attempts = rejected.Values.SelectMany(r => new[] { sweep.PurgeRejectedUpload(r.Id, default), other.PurgeRejectedUpload(r.Id, default),
            sweep.PurgeRejectedUpload(r.Id, default), other.PurgeRejectedUpload(r.Id, default) }).ToList();
        var recorded = await Task.WhenAll(attempts);
        Assert.Equal(3, recorded.Count(x => x));
        await sweep.RunOnce(default);
        Assert.False(await sweep.PurgeRejectedUpload(rejected["bad.csv"].Id, default));

        foreach (var r in rejected.Values)
            Assert.False(await Exists(ws, r.Location), $"{r.Name}'s bytes at {r.Location} are deleted");
        Assert.Equal("approved, stays", await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/keep.txt"));
        Assert.Equal(["inbox/keep.txt"], (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")));
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/workspaces/{ws}/files/content?path=inbox/bad.csv")).StatusCode);

        var listed = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToDictionary(u => u.Str("name"));
        Assert.All(rejected.Keys, name =>
        {
            Assert.Equal("rejected", listed[name].Str("status"));
            Assert.Equal(JsonValueKind.String, listed[name].GetProperty("purged_at").ValueKind);
        });
        Assert.Equal(JsonValueKind.Null, listed["keep.txt"].GetProperty("purged_at").ValueKind);
        Assert.Contains("not-a-number", listed["bad.csv"].Str("error")); // why it was refused is still told

        var auditText = await alice.GetStringAsync($"/api/workspaces/{ws}/audit");
        var purges = JsonDocument.Parse(auditText).RootElement.EnumerateArray().Where(e => e.Str("type") == "upload_purged").ToList();
        Assert.Equal(rejected.Values.Select(r => r.Id.ToString()).Order(), purges.Select(p => p.GetProperty("details").Str("upload")).Order());
        Assert.All(purges, p => Assert.True(p.GetProperty("details").GetProperty("kept_days").GetDouble() >= 30));
        Assert.DoesNotContain("sig=", auditText);
    }

}

[Collection(nameof(RunsAlone))]
public sealed class StagedFileRetentionTests(RetentionApp app) : RetentionTestBase(app), IClassFixture<RetentionApp>
{
    [Fact]
    public async Task Staged_database_files_stay_while_the_token_can_still_deliver_and_go_once_it_is_swept_and_answered()
    {
        var ws = InletApp.NewWorkspace("staged");
        var alice = await App.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "tables", upload_to_database = true });
        var upload = await AzCopy.Copy(LocalFiles.Folder(("visits.csv", "id,site\n1,a\n2,b\n"), ("broken.csv", "id\n1\nx\n"),
            ("broken.schema.json", """{ "fields": [ { "name": "id", "type": "integer" } ] }""")).FullName + "/*", token.Str("token"));
        Assert.True(upload.Succeeded, upload.Output);
        var records = await Decided(ws, 3);
        var visits = records.Single(r => r.Name == "visits.csv");
        var schema = records.Single(r => r.Name == "broken.schema.json");
        Assert.Equal("routed", visits.Status);
        Assert.Equal("rejected", records.Single(r => r.Name == "broken.csv").Status);

        string[] Staged() => Workspace(ws).GetBlobs(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = ".database/" }).Select(b => b.Name).Order().ToArray();
        // A refused file's staged copy went when it moved to the Inbox; the loaded ones stay while the token is open,
        // because metadata arriving later with the same token reloads its CSV from the staged copy.
        Assert.Equal(new[] { $".database/{schema.Id:N}/broken.schema.json", $".database/{visits.Id:N}/visits.csv" }.Order(), Staged());
        var sweep = App.Host.Services.GetRequiredService<RetentionSweep>();
        await sweep.RunOnce(default);
        Assert.Equal(2, Staged().Length);

        var tid = Guid.Parse(token.Str("tid"));
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}")).StatusCode);
        await TokenApi.Eventually(async () =>
        {
            await using var query = Store.QuerySession();
            return (await query.LoadAsync<TokenContainer>(tid))?.DeletedAt is not null;
        }, 30, "the token's container is finally swept");
        await sweep.RunOnce(default);
        Assert.Equal(2, Staged().Length); // swept, but a reload queued by late metadata may still need them for a while

        App.Clock.Advance(TimeSpan.FromHours(23));
        await sweep.RunOnce(default);
        Assert.Equal(2, Staged().Length);
        App.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        await sweep.RunOnce(default);
        Assert.Empty(Staged());
        Assert.False(await sweep.RemoveStagedFiles(tid, default)); // done once; a repeat does nothing
        await using (var query = Store.QuerySession())
            Assert.NotNull((await query.LoadAsync<TokenContainer>(tid))!.StagedFilesRemovedAt);

        // The table is the database's own copy: it does not need the staged file.
        var rows = await alice.GetJson($"/api/workspaces/{ws}/tables/visits/rows");
        Assert.Equal(2, rows.GetProperty("rows").GetArrayLength());
    }

}

[Collection(nameof(RunsAlone))]
public sealed class ExpiredContainerTests(RetentionApp app) : RetentionTestBase(app), IClassFixture<RetentionApp>
{
    [Fact]
    public async Task After_expiry_what_arrived_is_routed_then_the_token_container_is_deleted()
    {
        var ws = InletApp.NewWorkspace("expire");
        var alice = await App.SignedIn("alice", ws);
        var issued = await alice.Issue(ws, new { reason = "one day", valid_days = 1 });
        var tid = Guid.Parse(issued.Str("tid"));
        await new BlobContainerClient(new Uri(issued.Str("token"))).GetBlobClient("last.txt").UploadAsync(BinaryData.FromString("just in time"));
        App.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await using (var scope = App.Host.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new ExpireUploadToken(tid));
        Assert.Equal("expired", (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).Str("status"));

        var admin = new BlobServiceClient(TestServices.Landing).GetBlobContainerClient(issued.Str("inboxid"));
        await TokenApi.Eventually(async () => !(await admin.ExistsAsync()).Value, 30, "the token container is deleted after the final sweep");
        Assert.Equal("just in time", await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/last.txt"));
        await using (var query = Store.QuerySession())
            Assert.NotNull((await query.LoadAsync<TokenContainer>(tid))!.DeletedAt);

        // An Inbox token staged nothing: the staged-file sweep marks it done and touches none of its files.
        App.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.True(await App.Host.Services.GetRequiredService<RetentionSweep>().RemoveStagedFiles(tid, default));
        Assert.Equal("just in time", await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/last.txt"));
    }

}

[Collection(nameof(RunsAlone))]
public sealed class TokenArchivingTests(RetentionApp app) : RetentionTestBase(app), IClassFixture<RetentionApp>
{
    private async Task<bool> IsArchived(Guid tid)
    {
        await using var connection = new NpgsqlConnection(App.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select bool_and(is_archived) from events.mt_events where stream_id = @id", connection);
        command.Parameters.AddWithValue("id", tid);
        return await command.ExecuteScalarAsync() is true;
    }

    [Fact]
    public async Task Closed_tokens_are_archived_after_the_configured_age_once_across_nodes_and_stay_listed_with_their_audit_trail()
    {
        var ws = InletApp.NewWorkspace("archive");
        var alice = await App.SignedIn("alice", ws);
        var revoked = await alice.Issue(ws, new { reason = "revoked later" });
        var expiring = await alice.Issue(ws, new { reason = "expires", valid_days = 1 });
        var open = await alice.Issue(ws, new { reason = "still open", valid_days = 30 });
        var revokedTid = Guid.Parse(revoked.Str("tid"));
        var expiringTid = Guid.Parse(expiring.Str("tid"));
        var openTid = Guid.Parse(open.Str("tid"));
        await new BlobContainerClient(new Uri(revoked.Str("token"))).GetBlobClient("a.txt").UploadAsync(BinaryData.FromString("a"));
        await TokenApi.Eventually(async () => (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{revokedTid}")).GetProperty("files_received").GetInt64() == 1,
            30, "the upload is counted");
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{revokedTid}")).StatusCode);
        App.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await using (var scope = App.Host.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new ExpireUploadToken(expiringTid));
        Assert.Equal("expired", (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{expiringTid}")).Str("status"));

        var archiving = App.Host.Services.GetRequiredService<TokenArchiving>();
        await archiving.RunOnce(default);
        App.Clock.Advance(TimeSpan.FromDays(88)); // 88 days after the expiry, 89 after the revocation: neither is due
        await archiving.RunOnce(default);
        Assert.False(await IsArchived(revokedTid));
        Assert.False(await IsArchived(expiringTid));

        // Over 90 days after both closed (the open token, past valid_to by now but never closed, is left alone).
        App.Clock.Advance(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        await using var second = await App.StartHost();
        var other = second.Services.GetRequiredService<TokenArchiving>();
        var done = await Task.WhenAll(archiving.Archive(revokedTid, default), other.Archive(revokedTid, default),
            archiving.Archive(expiringTid, default), other.Archive(expiringTid, default), archiving.Archive(openTid, default));
        Assert.Equal(2, done.Count(x => x));
        await archiving.RunOnce(default);
        await other.RunOnce(default);
        Assert.False(await archiving.Archive(revokedTid, default));
        Assert.True(await IsArchived(revokedTid));
        Assert.True(await IsArchived(expiringTid));
        Assert.False(await IsArchived(openTid));

        // A scheduled expiry that fires late, after the revoked token was archived, changes nothing; nor does revoking it again.
        await using (var scope = App.Host.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new ExpireUploadToken(revokedTid));
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{expiringTid}")).StatusCode);

        var listed = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens")).EnumerateArray().ToDictionary(t => Guid.Parse(t.Str("tid")));
        Assert.Equal(3, listed.Count);
        Assert.Equal(("revoked", 1L), (listed[revokedTid].Str("status"), listed[revokedTid].GetProperty("files_received").GetInt64()));
        Assert.Equal("expired", listed[expiringTid].Str("status"));
        Assert.Equal(JsonValueKind.String, listed[revokedTid].GetProperty("archived_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, listed[openTid].GetProperty("archived_at").ValueKind);
        Assert.Equal(JsonValueKind.String, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{expiringTid}")).GetProperty("archived_at").ValueKind);

        var events = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{revokedTid}/events")).EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Equal(["issued", "used", "revoked", "archived"], events);
        Assert.Equal(["issued", "expired", "archived"],
            (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{expiringTid}/events")).EnumerateArray().Select(e => e.Str("type")));
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray().ToList();
        Assert.Equal(2, audit.Count(e => e.Str("type") == "archived"));
        Assert.Equal(3, audit.Count(e => e.Str("type") == "issued"));
        Assert.Contains(audit, e => e.Str("type") == "upload_received" && e.Str("tid") == revokedTid.ToString());
    }
}

/// <summary>The sweeps run by themselves on each node's timer; here every second.</summary>
public sealed class RetentionTimerApp : InletApp
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ingestion:Retention:SweepInterval", "00:00:01");
        builder.UseSetting("Ingestion:Retention:RejectedUploads", "7.00:00:00");
        builder.UseSetting("Tokens:Retention:SweepInterval", "00:00:01");
        builder.UseSetting("Tokens:Retention:ArchiveClosedAfter", "10.00:00:00");
    }
}

[Collection(nameof(RunsAlone))]
public sealed class RetentionTimerTests(RetentionTimerApp app) : IClassFixture<RetentionTimerApp>
{
    [Fact]
    public async Task The_configured_retentions_are_applied_by_the_nodes_own_sweeps()
    {
        var ws = InletApp.NewWorkspace("timer");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        var tid = Guid.Parse(token.Str("tid"));
        await new BlobContainerClient(new Uri(token.Str("token"))).GetBlobClient("   /x.txt").UploadAsync(BinaryData.FromString("unsafe"));
        await TokenApi.Eventually(async () => (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Any(u => u.Str("status") == "rejected"),
            30, "the upload is rejected");
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}")).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // two sweeps, before anything is due
        Assert.Equal(JsonValueKind.Null, (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Single().GetProperty("purged_at").ValueKind);

        app.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        await TokenApi.Eventually(async () => (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Single().GetProperty("purged_at").ValueKind == JsonValueKind.String,
            15, "the rejected upload is purged after the configured 7 days");
        Assert.Equal(JsonValueKind.Null, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).GetProperty("archived_at").ValueKind);

        app.Clock.Advance(TimeSpan.FromDays(3));
        await TokenApi.Eventually(async () => (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).GetProperty("archived_at").ValueKind == JsonValueKind.String,
            15, "the revoked token is archived after the configured 10 days");
    }
}
