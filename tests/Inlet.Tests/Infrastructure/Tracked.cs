using Inlet.Ingestion.DatabaseRouting;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.Contracts;
using Inlet.Tabular.Contracts;
using Microsoft.Extensions.Hosting;
using Wolverine;
using Wolverine.Tracking;

namespace Inlet.Tests.Infrastructure;

/// <summary>
/// Waits on the messages a test's action sets off, as a Wolverine tracked session, instead of polling the API: the wait
/// ends the moment the Host has handled what the condition names, and a timeout fails with every message it saw.
/// Pollers and other tests' work may run beside the action; a condition counts only what belongs to its own workspace
/// or token, so that traffic neither ends nor prolongs the wait.
/// </summary>
public static class Tracked
{
    public static async Task Until(this IHost host, ITrackedCondition condition, Func<Task> action, int seconds = 60)
    {
        // Retries after lost races (several uploads of one workspace at once) are expected and recovered; a test asserts
        // on the outcome through the API afterwards, so an exception on the way is not in itself a failure here.
        await host.TrackActivity().Timeout(TimeSpan.FromSeconds(seconds)).DoNotAssertOnExceptionsDetected()
            .WaitForCondition(condition).ExecuteAndWaitAsync((IMessageContext _) => action());
    }

    /// <summary>
    /// Uploads the files in <paramref name="folder"/> with <paramref name="token"/> (the JSON the issue endpoint answered)
    /// by the real AzCopy, and waits until <paramref name="count"/> uploads of that token were decided. Fails if AzCopy did
    /// not complete (with its exit code and output) or the wait timed out (with every message the session saw).
    /// Answers the token's workspace's uploads, as <paramref name="client"/> reads them once the wait ended.
    /// </summary>
    public static Task<List<JsonElement>> UploadUntilDecided(this IHost host, HttpClient client, JsonElement token, DirectoryInfo folder, int count, int seconds = 60) =>
        host.UntilDecided(client, token, count, () => AzCopy.Upload(folder, token), seconds);

    /// <summary>
    /// Runs <paramref name="upload"/> (several AzCopy runs in turn, say) and waits until <paramref name="count"/> uploads
    /// of <paramref name="token"/> were decided; answers the workspace's uploads as <see cref="UploadUntilDecided"/> does.
    /// </summary>
    public static async Task<List<JsonElement>> UntilDecided(this IHost host, HttpClient client, JsonElement token, int count, Func<Task> upload, int seconds = 60)
    {
        await host.Until(UploadsDecided.Of(token, count), upload, seconds);
        return (await client.GetJson($"/api/workspaces/{token.Str("wsid")}/uploads")).EnumerateArray().ToList();
    }

    /// <summary>
    /// Uploads the definitions among <paramref name="files"/> (schemas, XML sidecars: all but the data files) and waits
    /// until they were decided, then the data files likewise; answers the workspace's uploads after the second wait.
    /// Uploaded together, a data file may be listed before its definition is committed, load with guessed types and be
    /// reloaded a moment later, after the wait had already ended and while the test read the table.
    /// </summary>
    public static async Task<List<JsonElement>> UploadDefinitionsFirst(this IHost host, HttpClient client, JsonElement token,
        (string Name, string Content)[] files, int seconds = 60)
    {
        var definitions = files.Where(f => !DatabaseFiles.IsData(f.Name)).ToArray();
        var data = files.Where(f => DatabaseFiles.IsData(f.Name)).ToArray();
        Assert.True(definitions.Length > 0 && data.Length > 0, $"both a definition and a data file to upload: {string.Join(", ", files.Select(f => f.Name))}");
        await host.UploadUntilDecided(client, token, LocalFiles.Folder(definitions), definitions.Length, seconds);
        return await host.UploadUntilDecided(client, token, LocalFiles.Folder(data), data.Length, seconds);
    }

    /// <summary>Asserts that none of <paramref name="uploads"/> is still pending (naming those that are); answers them.</summary>
    public static List<JsonElement> Settled(this List<JsonElement> uploads)
    {
        Assert.Empty(uploads.Where(u => u.Str("status") == "pending").Select(u => u.Str("name")));
        return uploads;
    }
}

/// <summary>
/// <paramref name="count"/> uploads of workspace <paramref name="wsid"/>, delivered with the tokens <paramref name="tids"/>,
/// were decided. A blob is decided when its <see cref="IngestBlob"/> ran (routed, rejected or awaiting review), unless
/// that staged it for the database (it sent <see cref="DatabaseFileStaged"/>): then when the database loaded it (its
/// <see cref="DatabaseFileLoaded"/> recorded; a reload counts too) or refused it and it was kept in the Inbox (the refusal
/// recorded and the <c>KeepRefusedUpload</c> that follows handled). Upload records are an inline projection, so the API
/// shows each outcome from then on.
/// </summary>
public sealed class UploadsDecided(string wsid, int count, params Guid[] tids) : ITrackedCondition
{
    /// <summary>For the files uploaded with <paramref name="tokens"/> (the JSON the issue endpoint answered), all of one workspace.</summary>
    public static UploadsDecided Of(int count, params JsonElement[] tokens) =>
        new(tokens[0].Str("wsid"), count, [.. tokens.Select(t => Guid.Parse(t.Str("tid")))]);

    public static UploadsDecided Of(JsonElement token, int count) => Of(count, token);

    private readonly HashSet<Guid> _ingested = [];
    private readonly HashSet<Guid> _staged = [];
    private readonly HashSet<Guid> _loaded = [];
    private readonly HashSet<Guid> _refused = [];
    private readonly HashSet<Guid> _kept = [];

    public void Record(EnvelopeRecord record)
    {
        lock (_ingested)
        {
            switch (record.Envelope?.Message, record.MessageEventType)
            {
                // The poller routes inline (InvokeAsync), which reports the end of the execution, not a queued success;
                // what it staged was sent (its outbox flushed) before that end.
                case (IngestBlob blob, MessageEventType.ExecutionFinished) when tids.Contains(blob.Tid):
                    _ingested.Add(RoutingRules.UploadIdFor(blob.Container, blob.BlobName, blob.ETag));
                    break;
                case (DatabaseFileStaged staged, MessageEventType.Sent) when tids.Contains(staged.Tid):
                    _staged.Add(staged.UploadId);
                    break;
                case (DatabaseFileLoaded loaded, MessageEventType.MessageSucceeded) when loaded.Wsid == wsid:
                    _loaded.Add(loaded.UploadId);
                    break;
                case (DatabaseFileRefused refused, MessageEventType.MessageSucceeded) when refused.Wsid == wsid:
                    _refused.Add(refused.UploadId);
                    break;
                // The kept copy names no workspace; only this workspace's refusals count (in either order of the two).
                case (KeepRefusedUpload kept, MessageEventType.MessageSucceeded):
                    _kept.Add(kept.UploadId);
                    break;
            }
        }
    }

    private (int Files, int Loaded, int Refused) Decided() =>
        (_ingested.Count(id => !_staged.Contains(id)), _loaded.Count, _refused.Count(id => _kept.Contains(id) && !_loaded.Contains(id)));

    public bool IsCompleted()
    {
        lock (_ingested)
        {
            var (files, loaded, refused) = Decided();
            return files + loaded + refused >= count;
        }
    }

    public override string ToString()
    {
        lock (_ingested)
        {
            var (files, loaded, refused) = Decided();
            return $"{count} uploads of {wsid} decided (so far {files} by routing, {loaded} loaded, {refused} refused and kept; {_staged.Count} staged)";
        }
    }
}
