using Azure;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Scanning;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.WorkspaceFiles;
using Inlet.Tabular.Contracts;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace Inlet.Ingestion.DatabaseRouting;

/// <summary>
/// A refused database file's bytes are to be kept in the Inbox at <paramref name="KeptAt"/>, a path this upload
/// has claimed (sent in the transaction that committed the claim, so a claim never waits without it).
/// </summary>
/// <param name="Scanned">The file was staged unscanned and clamd has since found it clean (the load's read, or the refusal's own
/// scan): recorded with the refusal.</param>
public sealed record KeepRefusedUpload(Guid UploadId, string KeptAt, string Reason, DateTimeOffset At, bool Scanned = false);

/// <summary>
/// A staged database file the malware scan blocked (the load's read, or the scan before a refusal kept it): its bytes go to the
/// quarantine, never to the Inbox or a table (docs/adr/0037).
/// </summary>
public sealed record QuarantineStagedUpload(Guid UploadId, string Signature, DateTimeOffset At);

/// <summary>The Inbox path a refused upload would take: the first one no other upload holds, and whether this upload already holds it.</summary>
public sealed record InboxSlot(string Location, bool Ours);

/// <summary>What the load step of a refusal found: the upload (null if unknown) and, if it awaits the database's answer, its Inbox slot.</summary>
/// <param name="Verdict">For a file staged unscanned and refused before the load's read had a verdict: clamd's, from the refusal's
/// own scan of the staged copy; null where none was needed.</param>
/// <param name="ScannerDown">That scan could not be done: the refusal waits and is tried again (nothing moves unscanned).</param>
public sealed record RefusalState(UploadRecord? Record, InboxSlot? Slot, ScanVerdict? Verdict = null, string? ScannerDown = null);

/// <summary>The staged file a refusal kept, as it was before the refusal: what is deleted once the refusal is on record.</summary>
public sealed record StagedFile(string Wsid, string Location, bool Refusing);

/// <summary>
/// The pure decisions of completing a database upload (tests/Inlet.Ingestion.Tests). A refused file is never lost:
/// its bytes move to the Inbox under a name no other file has, claimed before they move, recorded after.
/// </summary>
public static class DatabaseOutcomeDecisions
{
    /// <summary>A staged upload the database has not answered for yet; any other state is final or not the database's.</summary>
    public static bool AwaitsDatabase(UploadRecord? record) => record is { Status: UploadStatus.Pending, StagedAt: not null };

    /// <summary>Where a loaded file's upload says it went: its tables.</summary>
    public static string TablesLocation(IReadOnlyList<string> tables) => UploadRecordProjection.TableLocationPrefix + string.Join(",", tables);

    /// <summary>
    /// A load completes its upload, or corrects its numbers after a reload; a re-delivery changes nothing, and so
    /// does a load of a rejected or unknown upload.
    /// </summary>
    public static UploadRouted? Loaded(UploadRecord? record, DatabaseFileLoaded loaded)
    {
        if (record is null || record.Status == UploadStatus.Rejected)
            return null;
        var location = TablesLocation(loaded.Tables);
        if (record.Status == UploadStatus.Routed && record.Location == location && record.RowsLoaded == loaded.RowsLoaded && record.RowsRejected == loaded.RowsRejected)
            return null; // a re-delivery
        return new UploadRouted(record.Id, record.Tid, location, record.Size, record.Md5, loaded.At,
            RowsLoaded: loaded.RowsLoaded, RowsRejected: loaded.RowsRejected, Note: loaded.Note);
    }

    /// <summary>
    /// The file was staged unscanned and the database's answer brings its verdict: clean, recorded before the answer's own event.
    /// A load committed only after a clean verdict (docs/adr/0037). Null when there is nothing to record (scanned before it was
    /// staged, scanning switched off since, or recorded already).
    /// </summary>
    public static UploadScanned? Scanned(UploadRecord? record, bool scannedClean, DateTimeOffset at) =>
        record is { Scan: ScanState.Scanning, Status: UploadStatus.Pending } && scannedClean ? new UploadScanned(record.Id, record.Tid, at) : null;

    /// <summary>
    /// Whether a refused file must be scanned before its bytes are kept in the Inbox: it was staged unscanned, and the
    /// database refused it without a clean verdict (before its read ended, or without reading it).
    /// </summary>
    public static bool MustScanBeforeKeeping(UploadRecord? record, DatabaseFileRefused refused, bool scanningEnabled) =>
        scanningEnabled && AwaitsDatabase(record) && record!.Scan == ScanState.Scanning && !refused.Scanned;

    /// <summary>A staged file blocked by the scan goes to the quarantine; null when the upload no longer awaits the database.</summary>
    public static UploadBlockedByScan? Blocked(UploadRecord? record, QuarantineStagedUpload blocked) =>
        AwaitsDatabase(record) ? new UploadBlockedByScan(record!.Id, record.Tid, blocked.Signature, RoutingRules.QuarantineLocation(record.Id), blocked.At) : null;

    /// <summary>The Inbox paths a refused file may take, in the order they are tried.</summary>
    public static IEnumerable<string> InboxCandidates(UploadRecord record)
    {
        var wanted = $"{RoutingRules.InboxFolder}/{WorkspacePath.Normalise(record.Name)}";
        for (var attempt = 1; attempt <= RoutingRules.MaxNameAttempts; attempt++)
            yield return RoutingRules.Candidate(wanted, attempt);
    }

    /// <summary>
    /// A refusal of an upload that awaits the database claims its Inbox slot (unless the upload holds it already:
    /// a re-delivery after the claim committed) and asks for its bytes to be kept there. Anything else is a no-op.
    /// </summary>
    public static (PathClaim? Claim, KeepRefusedUpload? Keep) Refused(RefusalState state, DatabaseFileRefused refused)
    {
        if (!AwaitsDatabase(state.Record) || state.Slot is not { } slot || state.Verdict is { Clean: false } || state.ScannerDown is not null)
            return (null, null);
        var record = state.Record!;
        var claim = slot.Ours ? null : new PathClaim { Id = PathClaim.IdFor(record.Wsid, slot.Location), UploadId = record.Id };
        var scanned = record.Scan == ScanState.Scanning && (refused.Scanned || state.Verdict is { Clean: true });
        return (claim, new KeepRefusedUpload(record.Id, slot.Location, refused.Reason, refused.At, scanned));
    }

    /// <summary>The refusal on record, once the bytes are kept; null when the upload no longer awaits the database (done before, or by another node).</summary>
    public static DatabaseUploadRefused? Keep(UploadRecord? record, KeepRefusedUpload keep) =>
        AwaitsDatabase(record) ? new DatabaseUploadRefused(record!.Id, record.Tid, keep.Reason, keep.KeptAt, keep.At) : null;
}

/// <summary>
/// Completes an upload the database loaded. An A-frame on Wolverine's aggregate workflow: the upload's stream is
/// fetched for writing (optimistic: a refusal or another load committed meanwhile makes this attempt lose and
/// retry), the decision is pure, and Wolverine appends the event and removes the progress in one transaction.
/// </summary>
public static class DatabaseFileLoadedHandler
{
    public static (Events, IMartenOp, OutgoingMessages) Handle(DatabaseFileLoaded loaded,
        [WriteAggregate(nameof(DatabaseFileLoaded.UploadId), Required = false)] UploadRecord? record)
    {
        var events = new Events();
        var messages = new OutgoingMessages();
        if (DatabaseOutcomeDecisions.Loaded(record, loaded) is not { } routed)
            return (events, MartenOps.Nothing(), messages);
        if (DatabaseOutcomeDecisions.Scanned(record, loaded.Scanned, loaded.At) is { } scanned)
            events.Add(scanned);
        events.Add(routed);
        messages.AddRange(Notices.UploadNotices.For(record!, [routed]));
        return (events, MartenOps.Delete<UploadProgress>(routed.UploadId), messages);
    }
}

/// <summary>
/// The first half of a refusal: <see cref="LoadAsync"/> finds the upload and the first Inbox path free for it (or
/// the one it claimed before), <see cref="Handle"/> decides, and Wolverine commits the claim together with the
/// <see cref="KeepRefusedUpload"/> that moves the bytes (the outbox). The claim commits before any byte moves, so
/// no other file can be copied to that path; two refusals racing for one name cannot both insert its claim, and
/// the loser is retried (the conflict policy), reloads and takes the next name.
/// </summary>
public static class DatabaseFileRefusedHandler
{
    public static async Task<RefusalState> LoadAsync(DatabaseFileRefused refused, IQuerySession session, WorkspaceStorage storage, ClamdClient clamd,
        IOptions<ScanningOptions> scanning, CancellationToken ct)
    {
        var record = await session.LoadAsync<UploadRecord>(refused.UploadId, ct);
        if (!DatabaseOutcomeDecisions.AwaitsDatabase(record))
            return new RefusalState(record, null);
        // Staged unscanned and refused without a verdict: scanned now, before a claim is taken or a byte moves (docs/adr/0037).
        ScanVerdict? verdict = null;
        if (DatabaseOutcomeDecisions.MustScanBeforeKeeping(record, refused, scanning.Value.Enabled))
        {
            try
            {
                await using var content = await storage.OpenRead(record!.Wsid, record.Location, ct)
                    ?? throw new InvalidOperationException($"The staged copy of upload {record.Id} at '{record.Location}' is missing; the refusal waits.");
                verdict = await clamd.Scan(content, null, ct);
            }
            catch (ScannerUnavailableException e)
            {
                return new RefusalState(record, null, ScannerDown: e.Message);
            }
            if (!verdict.Clean)
                return new RefusalState(record, null, verdict);
        }
        foreach (var location in DatabaseOutcomeDecisions.InboxCandidates(record!))
        {
            var claim = await session.LoadAsync<PathClaim>(PathClaim.IdFor(record!.Wsid, location), ct);
            if (claim is null || claim.UploadId == record.Id)
                return new RefusalState(record, new InboxSlot(location, Ours: claim is not null), verdict);
        }
        throw new InvalidOperationException($"No free name for '{RoutingRules.InboxFolder}/{record!.Name}' after {RoutingRules.MaxNameAttempts} attempts.");
    }

    public static (IMartenOp, OutgoingMessages) Handle(DatabaseFileRefused refused, RefusalState state, IOptions<ScanningOptions> scanning)
    {
        var messages = new OutgoingMessages();
        if (state.ScannerDown is not null)
        {
            // clamd could not be asked: nothing moves; the same refusal is handled again later, until it answers.
            messages.Add(refused.DelayedFor(scanning.Value.RetryInterval));
            return (MartenOps.Nothing(), messages);
        }
        if (state.Verdict is { Clean: false } verdict && DatabaseOutcomeDecisions.AwaitsDatabase(state.Record))
        {
            messages.Add(new QuarantineStagedUpload(refused.UploadId, verdict.Signature!, refused.At));
            return (MartenOps.Nothing(), messages);
        }
        var (claim, keep) = DatabaseOutcomeDecisions.Refused(state, refused);
        if (keep is not null)
            messages.Add(keep);
        return (claim is null ? MartenOps.Nothing() : MartenOps.Insert(claim), messages);
    }
}

/// <summary>
/// The second half of a refusal, an A-frame on Wolverine's aggregate workflow: the upload's stream is fetched for
/// writing, <see cref="Before"/> copies the staged bytes to the claimed Inbox path (idempotent: a retry finds its own
/// copy), <see cref="Handle"/> decides, Wolverine records the refusal and removes the progress in one transaction,
/// and only after that commit <see cref="AfterCommitAsync"/> deletes the staged copy. Whatever crashes, the bytes
/// are in the staging folder, the Inbox, or both.
/// </summary>
public static class KeepRefusedUploadHandler
{
    public static async Task<StagedFile> Before(KeepRefusedUpload keep, UploadRecord? record, WorkspaceStorage storage, CancellationToken ct)
    {
        if (!DatabaseOutcomeDecisions.AwaitsDatabase(record))
            return new StagedFile("", "", Refusing: false);
        var container = WorkspaceStorage.ContainerFor(record!.Wsid);
        if (!await storage.CopyIn(record.Wsid, sourceAccount: null /* within the workspace account */, container, record.Location, ETag.All, keep.KeptAt, record.Id, ct))
            throw new InvalidOperationException($"'{keep.KeptAt}' in workspace {record.Wsid} holds a file Inlet did not put there; upload {record.Id} waits.");
        // Captured now: the staged location is what the record said before the refusal moved it to the Inbox.
        return new StagedFile(record.Wsid, record.Location, Refusing: true);
    }

    public static (Events, IMartenOp, OutgoingMessages) Handle(KeepRefusedUpload keep,
        [WriteAggregate(nameof(KeepRefusedUpload.UploadId), Required = false)] UploadRecord? record)
    {
        var events = new Events();
        var messages = new OutgoingMessages();
        if (DatabaseOutcomeDecisions.Keep(record, keep) is not { } refused)
            return (events, MartenOps.Nothing(), messages);
        if (DatabaseOutcomeDecisions.Scanned(record, keep.Scanned, keep.At) is { } scanned)
            events.Add(scanned);
        events.Add(refused);
        messages.AddRange(Notices.UploadNotices.For(record!, [refused]));
        return (events, MartenOps.Delete<UploadProgress>(refused.UploadId), messages);
    }

    /// <summary>Counted and cleaned up once the refusal is on record (never by an attempt that lost a race and rolled back).</summary>
    public static async Task AfterCommitAsync(StagedFile staged, WorkspaceStorage storage, InletMetrics metrics, CancellationToken ct)
    {
        if (!staged.Refusing)
            return;
        metrics.UploadsRejected.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Stage, "database"));
        await storage.Delete(staged.Wsid, staged.Location, ct);
    }
}

/// <summary>The malware scan in the database's read blocked a staged file: it goes to the quarantine (one owner of that move: <see cref="QuarantineStagedUploadHandler"/>).</summary>
public static class DatabaseFileBlockedHandler
{
    public static QuarantineStagedUpload Handle(DatabaseFileBlocked blocked) => new(blocked.UploadId, blocked.Signature, blocked.At);
}

/// <summary>
/// Quarantines a staged database file the scan blocked, an A-frame like <see cref="KeepRefusedUploadHandler"/>:
/// <see cref="Before"/> copies the staged bytes to <c>.quarantine/&lt;upload&gt;</c> (idempotent), <see cref="Handle"/> records
/// <see cref="UploadBlockedByScan"/> (the audit entry, the notice and webhook), and only after that commit
/// <see cref="AfterCommitAsync"/> deletes the staged copy. Whatever crashes, the bytes are in staging, the quarantine or both,
/// and never anywhere readable.
/// </summary>
public static class QuarantineStagedUploadHandler
{
    public static async Task<StagedFile> Before(QuarantineStagedUpload blocked, UploadRecord? record, WorkspaceStorage storage, CancellationToken ct)
    {
        if (!DatabaseOutcomeDecisions.AwaitsDatabase(record))
            return new StagedFile("", "", Refusing: false);
        var container = WorkspaceStorage.ContainerFor(record!.Wsid);
        var quarantine = RoutingRules.QuarantineLocation(record.Id);
        if (!await storage.CopyIn(record.Wsid, sourceAccount: null /* within the workspace account */, container, record.Location, ETag.All, quarantine, record.Id, ct))
            throw new InvalidOperationException($"The quarantine of workspace {record.Wsid} holds a file Inlet did not put at upload {record.Id}'s place; it waits.");
        return new StagedFile(record.Wsid, record.Location, Refusing: true);
    }

    public static (Events, IMartenOp, OutgoingMessages) Handle(QuarantineStagedUpload blocked,
        [WriteAggregate(nameof(QuarantineStagedUpload.UploadId), Required = false)] UploadRecord? record)
    {
        var events = new Events();
        var messages = new OutgoingMessages();
        if (DatabaseOutcomeDecisions.Blocked(record, blocked) is not { } recorded)
            return (events, MartenOps.Nothing(), messages);
        events.Add(recorded);
        messages.AddRange(Notices.UploadNotices.For(record!, [recorded]));
        return (events, MartenOps.Delete<UploadProgress>(recorded.UploadId), messages);
    }

    public static async Task AfterCommitAsync(QuarantineStagedUpload blocked, StagedFile staged, WorkspaceStorage storage, InletMetrics metrics,
        ILogger<QuarantineStagedUpload> logger, CancellationToken ct)
    {
        if (!staged.Refusing)
            return;
        metrics.UploadsRejected.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Stage, "database"));
        logger.LogWarning("Upload {UploadId} was blocked by the malware scan ({Signature}) in the database's read and kept in quarantine",
            blocked.UploadId, blocked.Signature);
        await storage.Delete(staged.Wsid, staged.Location, ct);
    }
}
