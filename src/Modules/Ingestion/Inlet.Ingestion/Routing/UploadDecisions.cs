using Inlet.BuildingBlocks.Text;
using Inlet.Ingestion.Contracts;
using Inlet.Ingestion.TokenContainers;
using Inlet.Tokens.Contracts;

namespace Inlet.Ingestion.Routing;

/// <summary>
/// What moving an upload's bytes found: whether they went to their place, and if not, why (they are then in the
/// quarantine): a rejection, or the signature of the malware clamd found in them.
/// </summary>
public sealed record MoveResult(bool Moved, string? Rejection, string? BlockedBy = null);

/// <summary>
/// The outcome of routing one upload: the stream's second event, and the messages that go with it in the same
/// transaction. <see cref="Outcome"/> names it for the route's span and the routing-lag metric.
/// </summary>
/// <param name="Scanned">The clean verdict, recorded just before <see cref="Event"/> when clamd passed the file.</param>
/// <param name="Exhausted">The upload used up its token's quota: Tokens withdraws the token's policy (ADR 28).</param>
public sealed record RouteOutcome(object Event, DatabaseFileStaged? Staged, RecordUploadTokenUsage? Usage, string Outcome, UploadScanned? Scanned = null,
    MarkUploadTokenExhausted? Exhausted = null)
{
    public bool Moved => Usage is not null;

    /// <summary>The events the outcome appends to the upload's stream, in order.</summary>
    public IReadOnlyList<object> Events => Scanned is null ? [Event] : [Scanned, Event];
}

/// <summary>
/// The pure decisions of routing a blob (tests/Inlet.Ingestion.Tests): what its upload's first event says, whether
/// its bytes still have to move, and what the outcome records and sends. The storage and the two transactions
/// around them are <see cref="IngestBlobHandler"/>'s (docs/adr/0024-a-frame-handlers.md, revision 2026-12-03).
/// </summary>
public static class UploadDecisions
{
    /// <summary>An upload's first event and the claim on its path, for the <paramref name="attempt"/>-th name tried ("a.txt", "a (2).txt", …).</summary>
    /// <param name="scan">Scanning is on: the file waits in <c>scanning</c> until clamd passed or blocked it.</param>
    /// <param name="quota">What the token's quota said (<see cref="QuotaRules.Decide"/>): a refusal sends the file to the quarantine.</param>
    public static (UploadReceived Received, PathClaim Claim) Receive(TokenContainer token, IngestBlob blob, Guid uploadId, RoutingRules.Decision decision, int attempt, DateTimeOffset now,
        bool scan = false, QuotaVerdict? quota = null)
    {
        if (quota?.Rejection is { } refused && decision.Rejection is null)
            decision = decision with { Location = null, Note = null, Rejection = refused };
        var location = decision.Location is null ? RoutingRules.QuarantineLocation(uploadId) : RoutingRules.Candidate(decision.Location, attempt);
        var encoded = StoredName.NeedsEncoding(blob.BlobName);
        var received = new UploadReceived(uploadId, token.Id, token.Wsid, blob.Container, encoded ? StoredName.Encode(blob.BlobName) : blob.BlobName,
            blob.ETag, blob.Size, blob.Md5, decision.RoutedTo, location, decision.Rejection ?? decision.Note, now,
            Scan: scan && decision.Location is not null, // a refused name is quarantined anyway: nothing to scan
            Exhausts: quota?.Exhaustion, NameEncoded: encoded);
        return (received, new PathClaim { Id = PathClaim.IdFor(token.Wsid, location), UploadId = uploadId });
    }

    /// <summary>Decided, but nothing moved or recorded since: the bytes still have to go to their place. Otherwise the upload is done and only the source may be left.</summary>
    public static bool AwaitsRouting(UploadRecord record) => record is { Status: UploadStatus.Pending, StagedAt: null, RoutedAt: null };

    /// <summary>Decided while scanning was on, and not scanned since: clamd reads it before any byte moves.</summary>
    public static bool AwaitsScan(UploadRecord record) => record.Scan == ScanState.Scanning;

    /// <summary>
    /// A data file (CSV, TSV, Parquet) staged for the database is scanned by the load's own read of it, not by routing: the one
    /// read of storage feeds clamd and COPY at once, and the load commits only after the clean verdict (docs/adr/0037). The
    /// staged copy is in <c>.database/</c>, which nobody can read; every way out of it that is not a table (refused, blocked)
    /// has a verdict first. Metadata files and everything else are scanned by routing, before they move.
    /// </summary>
    public static bool ScannedByLoad(UploadRecord record) =>
        AwaitsScan(record) && RoutingRules.IsStaged(record.Location) && Tabular.Contracts.DatabaseFiles.IsData(record.Name);

    /// <summary>The reason an upload was decided into the quarantine (an unsafe name or path), or null when it has a place.</summary>
    public static string? DecidedRejection(UploadRecord record) =>
        record.Location.StartsWith(RoutingRules.QuarantineFolder + "/", StringComparison.Ordinal) ? record.Error : null;

    /// <summary>Whether routing compares the bytes' MD5 with the uploader's: a database file's is checked by the database's own read of it (one read instead of two).</summary>
    public static bool ChecksMd5(UploadRecord record) => record.Md5 is not null && !RoutingRules.IsStaged(record.Location);

    /// <summary>Whether a file's routing asks if its workspace reviews the Inbox: a moved Inbox file (the answer is read only then).</summary>
    public static bool Reviewable(UploadRecord record, MoveResult move) =>
        move.Moved && record.Location.StartsWith(RoutingRules.InboxFolder + "/", StringComparison.Ordinal);

    /// <summary>Whether the outcome stages the file for the database (and so must know which of its metadata files are still on their way).</summary>
    public static bool Stages(UploadRecord record, MoveResult move) => move.Moved && RoutingRules.IsStaged(record.Location);

    /// <summary>
    /// The outcome of an upload whose bytes were moved: staged for the database (with the metadata it must wait for),
    /// routed to its place (waiting for review where the workspace reviews its Inbox), or rejected into the quarantine.
    /// A file that reached the workspace counts as the token's usage; a rejected one does not.
    /// </summary>
    /// <param name="scanInLoad">The file is staged unscanned (<see cref="ScannedByLoad"/>): the database's read scans it, the upload shows
    /// <c>scanning</c> until the database answers.</param>
    public static RouteOutcome Outcome(UploadRecord record, MoveResult move, bool awaitsReview, IReadOnlyList<string> awaited,
        string? badRows, DateTimeOffset now, bool scannedClean = false, bool scanInLoad = false)
    {
        var outcome = OutcomeOfMove(record, move, awaitsReview, awaited, badRows, now, scannedClean, scanInLoad);
        // Whatever became of the bytes, the quota was used up when the upload was counted: told once, with the outcome.
        return record.Exhausts is { } q
            ? outcome with { Exhausted = new MarkUploadTokenExhausted(record.Tid, record.Wsid, q.Reason, q.UsedBytes, q.UsedFiles, now) }
            : outcome;
    }

    private static RouteOutcome OutcomeOfMove(UploadRecord record, MoveResult move, bool awaitsReview, IReadOnlyList<string> awaited,
        string? badRows, DateTimeOffset now, bool scannedClean, bool scanInLoad)
    {
        if (move.BlockedBy is { } signature)
            return new RouteOutcome(new UploadBlockedByScan(record.Id, record.Tid, signature, RoutingRules.QuarantineLocation(record.Id), now), null, null, "blocked");
        var scanned = scannedClean ? new UploadScanned(record.Id, record.Tid, now) : null;
        var usage = move.Moved ? new RecordUploadTokenUsage(record.Tid, record.Wsid, record.Id, 1, record.Size, now) : null;
        if (Stages(record, move))
            return new RouteOutcome(new UploadStaged(record.Id, record.Tid, record.Location, now, ScanPending: scanInLoad && !scannedClean),
                new DatabaseFileStaged(record.Id, record.Tid, record.Wsid, record.Name, WorkspaceFiles.WorkspaceStorage.ContainerFor(record.Wsid),
                    record.Location, record.Size, now, awaited, record.Md5, badRows, record.ReceivedAt, Scan: scanInLoad && !scannedClean),
                usage, "staged", scanned);
        if (move.Moved)
            return new RouteOutcome(new UploadRouted(record.Id, record.Tid, record.Location, record.Size, record.Md5, now, awaitsReview), null, usage, "routed", scanned);
        return new RouteOutcome(new UploadRejected(record.Id, record.Tid, move.Rejection!, RoutingRules.QuarantineLocation(record.Id), now), null, null, "rejected", scanned);
    }
}
