using System.Text;
using Inlet.Ingestion.Routing;
using Inlet.Tokens.Contracts;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine.Tracking;

namespace Inlet.Tests.Tokens;

/// <summary>
/// Quotas and allowed files per token (docs/adr/0028-upload-quotas.md), end to end with the real AzCopy: the file that
/// crosses max_bytes is kept in quarantine with its reason, the token is exhausted and storage refuses the next upload.
/// </summary>
public sealed class UploadQuotaTests(InletApp app) : IClassFixture<InletApp>
{
    private static (string, byte[]) File(string path, int size) => (path, Enumerable.Range(0, size).Select(i => (byte)('a' + i % 26)).ToArray());

    [Fact]
    public async Task The_file_that_crosses_max_bytes_is_rejected_with_its_reason_the_token_is_exhausted_and_storage_refuses_the_next_upload()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "At most 250 bytes", max_bytes = 250 });
        Assert.Equal(250, token.GetProperty("max_bytes").GetInt64());
        var tid = token.Str("tid");

        // Two files within the quota, then the one whose bytes would take it over: decided in that order, so that one crosses.
        var within = await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder([File("a.csv", 100), File("b.csv", 100)]), 2);
        Assert.Equal(["routed", "routed"], within.Select(u => u.Str("status")));
        Assert.Equal("active", (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).Str("status"));

        await app.Host.Until(new DecidedAndExhausted(UploadsDecided.Of(token, 1), Guid.Parse(tid)),
            () => AzCopy.Upload(LocalFiles.Folder([File("c.csv", 100)]), token));

        var crossing = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Single(u => u.Str("name") == "c.csv");
        Assert.Equal("rejected", crossing.Str("status"));
        Assert.Equal("'c.csv' (100 bytes) would take the token over its max_bytes of 250 bytes (200 of max_bytes 250 bytes used so far). "
            + "The file is kept in quarantine; the token is exhausted.", crossing.Str("error"));
        // Kept for the reviewer, never dropped: its bytes are in the workspace's quarantine.
        Assert.StartsWith(".quarantine/", crossing.Str("location"));
        var kept = new Azure.Storage.Blobs.BlobServiceClient(TestServices.Storage)
            .GetBlobContainerClient(Inlet.Ingestion.WorkspaceFiles.WorkspaceStorage.ContainerFor(ws)).GetBlobClient(crossing.Str("location"));
        Assert.Equal(100, (await kept.GetPropertiesAsync()).Value.ContentLength);

        var summary = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}");
        Assert.Equal("exhausted", summary.Str("status"));
        Assert.Equal(250, summary.GetProperty("max_bytes").GetInt64());
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("max_files").ValueKind);
        Assert.Equal(crossing.Str("error"), summary.Str("exhausted_reason"));
        await TokenApi.Eventually(async () =>
            (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).GetProperty("bytes_received").GetInt64() == 200, 30,
            "bytes_received counts the two routed files only");
        Assert.Equal(2, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).GetProperty("files_received").GetInt64());
        var listed = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?status=exhausted")).GetProperty("tokens");
        Assert.Equal([tid], listed.EnumerateArray().Select(t => t.Str("tid")));
        Assert.Equal(0, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?status=active")).GetProperty("tokens").GetArrayLength());

        var events = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}/events")).EnumerateArray().ToList();
        Assert.Equal("issued", events[0].Str("type"));
        Assert.Equal(["exhausted", "issued", "used"], events.Select(e => e.Str("type")).Distinct().Order());
        var exhausted = events.Single(e => e.Str("type") == "exhausted").GetProperty("details");
        Assert.Equal(crossing.Str("error"), exhausted.Str("reason"));
        Assert.Equal(200, exhausted.GetProperty("used_bytes").GetInt64());
        Assert.Equal(2, exhausted.GetProperty("used_files").GetInt32());
        Assert.Equal(250, events[0].GetProperty("details").GetProperty("max_bytes").GetInt64());
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray().ToList();
        Assert.Contains(audit, e => e.Str("type") == "upload_rejected" && e.GetProperty("details").Str("reason") == crossing.Str("error"));
        Assert.Single(audit, e => e.Str("type") == "exhausted");

        // The stored access policy was withdrawn before the exhaustion was recorded: storage refuses the token now.
        var next = LocalFiles.Folder([File("d.csv", 10)]);
        await TokenApi.Eventually(async () =>
        {
            var result = await AzCopy.Copy(next.FullName + "/*", token.Str("token"));
            return !result.Succeeded && result.Output.Contains("403", StringComparison.Ordinal);
        }, 30, "AzCopy is refused with 403 once the token is exhausted");
    }

    [Fact]
    public async Task A_file_the_allowed_patterns_do_not_match_is_kept_in_quarantine_with_its_reason_and_the_token_stays_active()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "CSV only", allowed_patterns = new[] { "*.csv" } });
        Assert.Equal(["*.csv"], token.GetProperty("allowed_patterns").EnumerateArray().Select(p => p.GetString()));

        var uploads = await app.Host.UploadUntilDecided(alice, token,
            LocalFiles.Folder(("visits.csv", "id,n\n1,2\n"), ("notes.txt", "not a table")), 2);

        var txt = uploads.Single(u => u.Str("name") == "notes.txt");
        Assert.Equal("rejected", txt.Str("status"));
        Assert.Equal("'notes.txt' is not allowed by this token: it accepts only files matching *.csv. The file is kept in quarantine.", txt.Str("error"));
        Assert.Equal("routed", uploads.Single(u => u.Str("name") == "visits.csv").Str("status"));

        var summary = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens")).EnumerateArray().Single();
        Assert.Equal("active", summary.Str("status"));
        Assert.Equal(["*.csv"], summary.GetProperty("allowed_patterns").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Files_uploaded_at_once_on_two_nodes_are_counted_exactly_once_and_the_one_that_fills_the_quota_exhausts_it()
    {
        await using var second = await InletApp.OnDatabase(app.Postgres);
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var sizes = Enumerable.Range(1, 24).Select(i => 10 + i * 7).ToArray();
        var total = sizes.Sum();
        var token = await alice.Issue(ws, new { reason = "Exactly filled", max_bytes = total, max_files = 24 });
        var tid = Guid.Parse(token.Str("tid"));

        var folder = LocalFiles.Folder(sizes.Select((size, i) => File($"part-{i:00}.bin", size)));
        // Either node may poll the token's container (ADR 25): both are tracked.
        await app.Host.TrackActivity().AlsoTrack(second.Host).Timeout(TimeSpan.FromSeconds(120)).DoNotAssertOnExceptionsDetected()
            .WaitForCondition(new DecidedAndExhausted(UploadsDecided.Of(token, sizes.Length), tid))
            .ExecuteAndWaitAsync((Wolverine.IMessageContext _) => AzCopy.Upload(folder, token));

        var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        Assert.Equal(sizes.Length, uploads.Count(u => u.Str("status") == "routed"));
        var store = app.Host.Services.GetRequiredService<IDocumentStore>();
        var usage = await Usage(store, tid);
        Assert.Equal((sizes.Length, (long)total, false), (usage.Files, usage.Bytes, usage.Crossed));

        // A re-delivered IngestBlob, on the other node, of a file already counted: routed before, counted never again.
        await using (var query = store.QuerySession())
        {
            var record = await query.Query<UploadRecord>().Where(u => u.Tid == tid).FirstAsync();
            await second.Host.InvokeMessageAndWaitAsync(new IngestBlob(tid, record.Container, record.Name, record.ETag, record.Size, record.Md5, Account: TestServices.LandingAccountName));
        }
        Assert.Equal((sizes.Length, (long)total), ((await Usage(store, tid)).Files, (await Usage(store, tid)).Bytes));

        var summary = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}");
        Assert.Equal("exhausted", summary.Str("status"));
        Assert.StartsWith("The token reached its quota with 'part-", summary.Str("exhausted_reason"));
        var events = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}/events");
        Assert.Single(events.EnumerateArray(), e => e.Str("type") == "exhausted");
        // Usage reaches the listing in batches (RecordUploadTokenUsage), a moment after routing: the same total, once.
        await TokenApi.Eventually(async () =>
            (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).GetProperty("bytes_received").GetInt64() == total, 30,
            $"bytes_received reaches {total}");
        Assert.Equal(sizes.Length, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).GetProperty("files_received").GetInt64());
    }

    private static async Task<TokenQuotaUsage> Usage(IDocumentStore store, Guid tid)
    {
        await using var query = store.QuerySession();
        return (await query.Events.AggregateStreamAsync<TokenQuotaUsage>(QuotaRules.StreamIdFor(tid)))!;
    }

    [Theory]
    [InlineData("""{"reason": "x", "max_bytes": -1}""", "max_bytes")]
    [InlineData("""{"reason": "x", "max_files": 0}""", "max_files")]
    [InlineData("""{"reason": "x", "allowed_patterns": ["*.[ch]"]}""", "allowed_patterns")]
    [InlineData("""{"reason": "x", "allowed_patterns": "*.csv"}""", "allowed_patterns")]
    public async Task A_bad_limit_is_refused_with_problem_details_naming_the_field(string body, string field)
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var response = await alice.PostAsync($"/api/workspaces/{ws}/upload-tokens", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Contains(field, problem.Str("detail") + problem.Str("title"));
        Assert.Equal(0, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens")).GetArrayLength());
    }
}

/// <summary>The uploads <paramref name="decided"/> names were decided, and Tokens recorded token <paramref name="tid"/> as exhausted.</summary>
public sealed class DecidedAndExhausted(UploadsDecided decided, Guid tid) : ITrackedCondition
{
    private bool _exhausted;

    public void Record(EnvelopeRecord record)
    {
        decided.Record(record);
        if (record is { Envelope.Message: MarkUploadTokenExhausted m, MessageEventType: MessageEventType.MessageSucceeded } && m.Tid == tid)
            _exhausted = true;
    }

    public bool IsCompleted() => _exhausted && decided.IsCompleted();

    public override string ToString() => $"{decided}; token {tid} exhausted: {_exhausted}";
}
