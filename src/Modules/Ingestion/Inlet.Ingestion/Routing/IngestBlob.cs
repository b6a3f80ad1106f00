using Inlet.BuildingBlocks.Concurrency;
using System.Diagnostics;
using System.Security.Cryptography;
using Azure;
using Inlet.BuildingBlocks.Storage;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Ingestion.Contracts;
using Inlet.Ingestion.ReviewInbox;
using Inlet.BuildingBlocks.Scanning;
using Inlet.Ingestion.TokenContainers;
using Inlet.Ingestion.WorkspaceFiles;
using Inlet.Tokens.Contracts;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Wolverine.Marten;

namespace Inlet.Ingestion.Routing;

/// <summary>A committed blob version in a token's container, found by the poller or pushed by Event Grid.</summary>
/// <param name="LastModified">When storage committed it, for the routing-lag metric; null in messages from before it was added.</param>
/// <param name="Account">The storage account of <paramref name="Container"/> (<see cref="TokenContainer.Account"/>): null for the
/// workspace account, where tokens issued before the landing account (docs/adr/0030) have theirs.</param>
public sealed record IngestBlob(Guid Tid, string Container, string BlobName, string ETag, long Size, string? Md5, DateTimeOffset? LastModified = null,
    string? Account = null)
{
    /// <summary>The Content-MD5 the uploader stored, as the API shows it (base64), or null where none was sent.</summary>
    public static string? Md5Text(byte[]? contentHash) => contentHash is { Length: > 0 } ? Convert.ToBase64String(contentHash) : null;
}

/// <summary>A workspace path, taken by one upload. Its unique id is what keeps two uploads from sharing a name.</summary>
public sealed class PathClaim
{
    public string Id { get; set; } = "";
    public Guid UploadId { get; set; }

    /// <summary>The id of the claim on <paramref name="location"/> in workspace <paramref name="wsid"/>.</summary>
    public static string IdFor(string wsid, string location) => $"{wsid}/{location}";
}

/// <summary>
/// Exactly once, whatever crashes or how many nodes see the same blob: (1) record the decision as the
/// first event of a stream whose id derives from the blob version, (2) copy idempotently, (3) record the
/// outcome with an expected stream version, (4) only then delete the source. A retry resumes at the step
/// the record shows. With scanning on, clamd reads the exact blob version before step 2: nothing reaches
/// the workspace (Inbox, folder or the database's staging) unscanned, and a blocked file goes to quarantine
/// (docs/adr/0023-malware-scanning.md). The verdict is recorded with the outcome, in the same transaction. Only uploaded
/// bytes go anywhere but the quarantine: a blob storage made by a server-side copy is rejected (<see cref="UploadOrigin"/>,
/// docs/adr/0030-landing-account.md). The source is read in the account its token's container is in (<see cref="IngestBlob.Account"/>).
/// </summary>
public static class IngestBlobHandler
{
    public static async Task Handle(IngestBlob blob, IDocumentStore store, WorkspaceStorage storage, TimeProvider clock,
        IMartenOutbox outbox, InletMetrics metrics, ClamdClient clamd, IOptions<ScanningOptions> scanning, ILogger<IngestBlob> logger, CancellationToken ct)
    {
        var uploadId = RoutingRules.UploadIdFor(blob.Container, blob.BlobName, blob.ETag);
        using var route = InletTelemetry.Source.StartActivity("ingest.route");
        route?.SetTag(InletTelemetry.UploadId, uploadId)
            .SetTag(InletTelemetry.TokenId, blob.Tid)
            .SetTag(InletTelemetry.BlobName, blob.BlobName)
            .SetTag(InletTelemetry.BlobSize, blob.Size);
        try
        {
            await Route(blob, uploadId, store, storage, clock, outbox, metrics, clamd, scanning.Value, route, logger, ct);
        }
        catch (Exception e)
        {
            route.Failed(e);
            throw;
        }
    }

    private static async Task Route(IngestBlob blob, Guid uploadId, IDocumentStore store, WorkspaceStorage storage, TimeProvider clock,
        IMartenOutbox outbox, InletMetrics metrics, ClamdClient clamd, ScanningOptions scanning, Activity? route, ILogger<IngestBlob> logger, CancellationToken ct)
    {
        var record = await Load(store, uploadId, ct) ?? await Decide(blob, uploadId, store, clock, scanning.Enabled, ct);
        if (record is null)
        {
            route?.SetTag(InletTelemetry.Outcome, "unknown_container");
            return;
        }
        route?.SetTag(InletTelemetry.RoutedTo, record.RoutedTo);

        var etag = new ETag(blob.ETag);
        if (UploadDecisions.AwaitsRouting(record))
        {
            // Turned off since the decision: routed unscanned, as Scanning:Enabled=false promises (nothing waits). A database data file
            // is scanned by the load's own read instead (docs/adr/0037): staged unscanned into .database/, which nobody can read.
            var scanInLoad = scanning.Enabled && UploadDecisions.ScannedByLoad(record);
            var scanned = UploadDecisions.AwaitsScan(record) && scanning.Enabled && !scanInLoad ? await Scan(blob.Account, record, etag, storage, clamd, ct) : null;
            // How this exact version was made: from the scan's own read, else one properties request (scanning off).
            var copied = UploadDecisions.DecidedRejection(record) is null
                ? UploadOrigin.Rejection(scanned?.Origin ?? await storage.Origin(blob.Account, record.Container, record.BlobName(), etag, ct))
                : null;
            var verdict = scanned?.Verdict;
            var move = verdict is { Clean: false }
                ? await Quarantine(record, blob.Account, etag, storage, verdict, ct)
                : await Move(record, blob.Account, etag, storage, scanned?.Md5, copied, ct);
            var review = UploadDecisions.Reviewable(record, move) && await InboxReview.IsOn(store, record.Wsid, ct);
            await using var session = store.LightweightSession();
            outbox.Enroll(session);
            IReadOnlyList<string> awaited = [];
            string? badRows = null;
            if (UploadDecisions.Stages(record, move))
            {
                // Metadata delivered before this CSV is on its way: the database waits for it rather than guess types.
                // Checked in this order, nothing committed before now slips between the two: a metadata file leaves
                // the token's container only after its upload record exists.
                var names = RoutingRules.MetadataNamesFor(record.Name);
                awaited = await storage.Waiting(blob.Account, record.Container, names, ct);
                if (names.Count > 0)
                    awaited = [.. awaited.Union(await session.Query<UploadRecord>()
                        .Where(u => u.Tid == record.Tid && u.Id != record.Id && u.Status != UploadStatus.Rejected && names.Contains(u.Name))
                        .Select(u => u.Name).ToListAsync(ct))];
                badRows = (await session.LoadAsync<TokenContainer>(record.Tid, ct))?.Destination.BadRows;
            }
            // Everything the outcome depends on is read; the decision itself is pure.
            var now = clock.GetUtcNow();
            var outcome = UploadDecisions.Outcome(record, move, review, awaited, badRows, now, scannedClean: verdict is { Clean: true }, scanInLoad: scanInLoad);
            // One winner: the stream is at version 1 (received) until an outcome is recorded.
            session.Events.Append(uploadId, 1 + outcome.Events.Count, [.. outcome.Events]);
            if (outcome.Staged is { } staged)
                await outbox.PublishAsync(staged);
            if (outcome.Usage is { } usage)
                await outbox.PublishAsync(usage);
            if (outcome.Exhausted is { } exhausted)
                await outbox.PublishAsync(exhausted);
            foreach (var notice in Notices.UploadNotices.For(record, outcome.Events))
                await outbox.PublishAsync(notice);
            try
            {
                await session.SaveChangesAsync(ct);
                Count(metrics, blob, record, outcome, now);
                route?.SetTag(InletTelemetry.Outcome, outcome.Outcome);
                if (move.BlockedBy is { } signature)
                    logger.LogWarning("Upload {UploadId} of token {Tid} was blocked by the malware scan ({Signature}) and kept in quarantine",
                        uploadId, record.Tid, signature);
                else if (copied is not null)
                    logger.LogWarning("Upload {UploadId} of token {Tid} was made by a server-side copy, not uploaded; rejected and kept in quarantine",
                        uploadId, record.Tid);
            }
            catch (Exception e) when (Concurrency.IsConflict(e))
            {
                route?.SetTag(InletTelemetry.Outcome, "done_elsewhere");
                logger.LogDebug("Upload {UploadId} was completed by another node", uploadId);
            }
        }
        else
        {
            route?.SetTag(InletTelemetry.Outcome, "done_before");
        }
        await storage.DeleteSource(blob.Account, blob.Container, blob.BlobName, etag, ct);
    }

    /// <summary>Counted once, by the attempt whose outcome was recorded (never by one that lost the race).</summary>
    private static void Count(InletMetrics metrics, IngestBlob blob, UploadRecord record, RouteOutcome outcome, DateTimeOffset now)
    {
        var routedTo = new KeyValuePair<string, object?>(InletTelemetry.RoutedTo, record.RoutedTo);
        if (outcome.Moved)
        {
            metrics.FilesIngested.Add(1, routedTo);
            metrics.BytesIngested.Add(record.Size, routedTo);
        }
        else
        {
            metrics.UploadsRejected.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Stage, "routing"));
        }
        if (blob.LastModified is { } committed)
            metrics.RoutingLag.Record(Math.Max(0, (now - committed).TotalSeconds),
                routedTo, new KeyValuePair<string, object?>(InletTelemetry.Outcome, outcome.Outcome));
    }

    private static async Task<UploadRecord?> Load(IDocumentStore store, Guid uploadId, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        return await query.LoadAsync<UploadRecord>(uploadId, ct);
    }

    /// <summary>
    /// clamd's verdict, and the bytes' MD5 where routing checks it (computed in the same read), and how storage says the
    /// version was made. A copied blob is not scanned (no verdict): it is rejected whatever it holds.
    /// </summary>
    private sealed record ScanRead(ScanVerdict? Verdict, byte[]? Md5, BlobOrigin Origin);

    /// <summary>
    /// clamd reads the exact blob version, streamed a chunk at a time in one GET; where routing checks the uploader's MD5
    /// it is computed from the same bytes, so a scanned file is read once, as an unscanned one is. Any failure to get a
    /// verdict throws, so the file waits.
    /// </summary>
    private static async Task<ScanRead> Scan(string? account, UploadRecord record, ETag etag, WorkspaceStorage storage, ClamdClient clamd, CancellationToken ct)
    {
        using var scan = InletTelemetry.Source.StartActivity("ingest.scan");
        scan?.SetTag(InletTelemetry.UploadId, record.Id).SetTag(InletTelemetry.BlobSize, record.Size);
        try
        {
            using var md5 = UploadDecisions.ChecksMd5(record) ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
            var (content, origin) = await storage.OpenSource(account, record.Container, record.BlobName(), etag, ct);
            await using var _ = content;
            if (UploadOrigin.Rejection(origin) is not null)
            {
                scan?.SetTag(InletTelemetry.Outcome, "copied");
                return new ScanRead(null, null, origin);
            }
            var verdict = await clamd.Scan(content, md5, ct);
            scan?.SetTag(InletTelemetry.Outcome, verdict.Clean ? "clean" : "blocked");
            return new ScanRead(verdict, md5?.GetHashAndReset(), origin);
        }
        catch (Exception e)
        {
            scan.Failed(e);
            throw;
        }
    }

    private static async Task<UploadRecord?> Decide(IngestBlob blob, Guid uploadId, IDocumentStore store, TimeProvider clock, bool scan, CancellationToken ct)
    {
        TokenContainer? token;
        await using (var query = store.QuerySession())
            token = await query.LoadAsync<TokenContainer>(blob.Tid, ct);
        if (token is null)
            return null; // not a container Inlet knows; nothing to route it by

        var decision = RoutingRules.Decide(token.Destination, blob.BlobName, uploadId);
        var counted = decision.Rejection is null && token.Quota is { Counts: true };
        for (var attempt = 1; attempt <= RoutingRules.MaxNameAttempts;)
        {
            await using var session = store.LightweightSession();
            var now = clock.GetUtcNow();
            // A counted token: the usage is read and appended at the version read, in the transaction that starts the
            // upload's stream, so each upload is counted exactly once (a second decision of it fails whole) and two
            // uploads counted at once cannot both pass on the same usage (docs/adr/0028-upload-quotas.md).
            var usage = counted ? await session.Events.FetchForWriting<TokenQuotaUsage>(QuotaRules.StreamIdFor(token.Id), ct) : null;
            var quota = decision.Rejection is null
                ? QuotaRules.Decide(token.Quota, usage?.Aggregate, token.Id, uploadId, blob.BlobName, blob.Size, now)
                : null;
            if (quota?.Event is { } quotaEvent)
                usage!.AppendOne(quotaEvent);
            var (received, claim) = UploadDecisions.Receive(token, blob, uploadId, decision, attempt, now, scan, quota);
            session.Events.StartStream<UploadRecord>(uploadId, received);
            session.Insert(claim);
            try
            {
                await session.SaveChangesAsync(ct);
                return await Load(store, uploadId, ct);
            }
            catch (Exception e) when (Concurrency.IsConflict(e))
            {
                // Another node decided this upload first, or another upload was counted meanwhile (decide again on the
                // new usage), or the name is taken: try the next name.
                if (await Load(store, uploadId, ct) is { } decided)
                    return decided;
                if (usage is not null && await QuotaVersion(store, token.Id, ct) != (usage.CurrentVersion ?? 0))
                    continue;
                attempt++;
            }
        }
        throw new InvalidOperationException($"No free name for '{decision.Location}' after {RoutingRules.MaxNameAttempts} attempts.");
    }

    private static async Task<long> QuotaVersion(IDocumentStore store, Guid tid, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        return (await query.Events.FetchStreamStateAsync(QuotaRules.StreamIdFor(tid), ct))?.Version ?? 0;
    }

    /// <param name="md5">The bytes' MD5 when the scan already read them; else read here where it is checked.</param>
    /// <param name="copied">Why the blob is refused for how it was made (<see cref="UploadOrigin"/>), or null for uploaded bytes.</param>
    private static async Task<MoveResult> Move(UploadRecord record, string? account, ETag etag, WorkspaceStorage storage, byte[]? md5, string? copied, CancellationToken ct)
    {
        var rejection = UploadDecisions.DecidedRejection(record) ?? copied;
        if (rejection is null && UploadDecisions.ChecksMd5(record) && record.Md5 is { } expected)
        {
            var actual = Convert.ToBase64String(md5 ?? await storage.ComputeMd5(account, record.Container, record.BlobName(), etag, ct));
            if (actual != expected)
                rejection = ContentMd5.Mismatch(null, expected, actual);
        }
        var location = rejection is null ? record.Location : RoutingRules.QuarantineLocation(record.Id);
        if (!await storage.CopyIn(record.Wsid, account, record.Container, record.BlobName(), etag, location, record.Id, ct))
            throw new InvalidOperationException($"'{location}' in workspace {record.Wsid} holds a file Inlet did not put there; upload {record.Id} waits.");
        return new MoveResult(rejection is null, rejection);
    }

    /// <summary>A file clamd blocked goes to the quarantine instead of its place, never to where it could be read.</summary>
    private static async Task<MoveResult> Quarantine(UploadRecord record, string? account, ETag etag, WorkspaceStorage storage, ScanVerdict verdict, CancellationToken ct)
    {
        if (!await storage.CopyIn(record.Wsid, account, record.Container, record.BlobName(), etag, RoutingRules.QuarantineLocation(record.Id), record.Id, ct))
            throw new InvalidOperationException($"The quarantine of workspace {record.Wsid} holds a file Inlet did not put at upload {record.Id}'s place; it waits.");
        return new MoveResult(false, null, verdict.Signature);
    }
}
