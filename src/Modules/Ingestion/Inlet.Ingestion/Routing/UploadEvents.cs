namespace Inlet.Ingestion.Routing;

/// <summary>A committed blob was found in a token's container and its destination decided, before anything moved.</summary>
/// <param name="Scan">Scanning was on when it was decided: the file waits in <c>scanning</c> until clamd has passed or blocked it.</param>
/// <param name="Exhausts">Counting this upload used up its token's quota: Tokens is told with the outcome (docs/adr/0028-upload-quotas.md).</param>
/// <param name="NameEncoded">The blob's name holds U+0000, which PostgreSQL cannot: <paramref name="BlobName"/> is <see cref="Inlet.BuildingBlocks.Text.StoredName"/>'s form of it.</param>
public sealed record UploadReceived(
    Guid UploadId,
    Guid Tid,
    string Wsid,
    string Container,
    string BlobName,
    string ETag,
    long Size,
    string? Md5,
    string RoutedTo,
    string Location,
    string? Note,
    DateTimeOffset At,
    bool Scan = false,
    QuotaExhaustion? Exhausts = null,
    bool NameEncoded = false);

/// <summary>The malware scanner found nothing in the file's bytes (the exact blob version); recorded with the routing outcome.</summary>
public sealed record UploadScanned(Guid UploadId, Guid Tid, DateTimeOffset At);

/// <summary>The malware scanner matched <paramref name="Signature"/>: the file is kept in quarantine, never listed, downloadable or loaded.</summary>
public sealed record UploadBlockedByScan(Guid UploadId, Guid Tid, string Signature, string QuarantineLocation, DateTimeOffset At);

/// <summary>The file is in its place in the workspace; the copy in the token container may go.</summary>
/// <param name="AwaitingApproval">The workspace reviews its Inbox: the file waits, unlisted for download, until a member approves it.</param>
/// <param name="RowsLoaded">For a CSV loaded into a table: its rows that were loaded.</param>
/// <param name="RowsRejected">For a CSV loaded into a table: its rows that were not, listed at the table's rejects.</param>
/// <param name="Note">How the database read the file, when a person should know (an encoding other than UTF-8, rows not loaded).</param>
public sealed record UploadRouted(Guid UploadId, Guid Tid, string Location, long Size, string? Md5, DateTimeOffset At, bool AwaitingApproval = false,
    long? RowsLoaded = null, long? RowsRejected = null, string? Note = null);

/// <summary>The file was refused; its bytes are kept in the workspace's quarantine.</summary>
public sealed record UploadRejected(Guid UploadId, Guid Tid, string Reason, string QuarantineLocation, DateTimeOffset At);

/// <summary>A database-bound file is staged in the workspace for the Tabular module; the upload stays pending until it answers.</summary>
/// <param name="ScanPending">Staged unscanned: the database's read of it scans it (docs/adr/0037), and the upload stays in
/// <c>scanning</c> until the database's answer brings the verdict.</param>
public sealed record UploadStaged(Guid UploadId, Guid Tid, string StagedPath, DateTimeOffset At, bool ScanPending = false);

/// <summary>The database refused the file; its bytes are kept in the Inbox at <paramref name="KeptAt"/>.</summary>
public sealed record DatabaseUploadRefused(Guid UploadId, Guid Tid, string Reason, string KeptAt, DateTimeOffset At);
