using Azure;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.WorkspaceFiles;
using Inlet.Tabular.Contracts;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Inlet.Ingestion.DatabaseRouting;

/// <summary>
/// A refused database file's bytes are to be kept in the Inbox at <paramref name="KeptAt"/>, a path this upload
/// has claimed (sent in the transaction that committed the claim, so a claim never waits without it).
/// </summary>
public sealed record KeepRefusedUpload(Guid UploadId, string KeptAt, string Reason, DateTimeOffset At);

/// <summary>The Inbox path a refused upload would take: the first one no other upload holds, and whether this upload already holds it.</summary>
public sealed record InboxSlot(string Location, bool Ours);

/// <summary>What the load step of a refusal found: the upload (null if unknown) and, if it awaits the database's answer, its Inbox slot.</summary>
public sealed record RefusalState(UploadRecord? Record, InboxSlot? Slot);

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
        if (!AwaitsDatabase(state.Record) || state.Slot is not { } slot)
            return (null, null);
        var record = state.Record!;
        var claim = slot.Ours ? null : new PathClaim { Id = PathClaim.IdFor(record.Wsid, slot.Location), UploadId = record.Id };
        return (claim, new KeepRefusedUpload(record.Id, slot.Location, refused.Reason, refused.At));
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
    public static async Task<RefusalState> LoadAsync(DatabaseFileRefused refused, IQuerySession session, CancellationToken ct)
    {
        var record = await session.LoadAsync<UploadRecord>(refused.UploadId, ct);
        if (!DatabaseOutcomeDecisions.AwaitsDatabase(record))
            return new RefusalState(record, null);
        foreach (var location in DatabaseOutcomeDecisions.InboxCandidates(record!))
        {
            var claim = await session.LoadAsync<PathClaim>(PathClaim.IdFor(record!.Wsid, location), ct);
            if (claim is null || claim.UploadId == record.Id)
                return new RefusalState(record, new InboxSlot(location, Ours: claim is not null));
        }
        throw new InvalidOperationException($"No free name for '{RoutingRules.InboxFolder}/{record!.Name}' after {RoutingRules.MaxNameAttempts} attempts.");
    }

    public static (IMartenOp, OutgoingMessages) Handle(DatabaseFileRefused refused, RefusalState state)
    {
        var (claim, keep) = DatabaseOutcomeDecisions.Refused(state, refused);
        var messages = new OutgoingMessages();
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
