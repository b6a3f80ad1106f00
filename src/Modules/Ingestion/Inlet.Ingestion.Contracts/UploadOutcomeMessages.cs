namespace Inlet.Ingestion.Contracts;

/// <summary>What became of an upload, as far as anyone outside Ingestion is told.</summary>
public enum UploadOutcome
{
    /// <summary>In its place in the workspace (Inbox, folder, or the database's tables).</summary>
    Routed,

    /// <summary>In the Inbox of a workspace that reviews it: it waits, unlisted for download, until members approve it.</summary>
    ReviewNeeded,

    /// <summary>Refused (checksum, name, destination, or a reviewer); its bytes are in the quarantine.</summary>
    Rejected,

    /// <summary>The malware scan matched a signature; its bytes are in the quarantine.</summary>
    Blocked,

    /// <summary>A database token's file was loaded into tables (or a reload corrected its numbers).</summary>
    Loaded,

    /// <summary>The database refused a database token's file; its bytes were kept in the Inbox.</summary>
    Refused,
}

/// <summary>
/// Published by Ingestion, in the transaction that records the outcome (the Marten outbox), for each outcome of an
/// upload; an upload may have several in turn (review needed, then routed or rejected). Names and sizes, never
/// content, SAS URLs or tokens.
/// </summary>
/// <param name="Name">The uploaded relative path, e.g. <c>site-a/visits.csv</c>.</param>
/// <param name="Location">Where it went in the workspace (a path, or <c>table:…</c>), null when not in the workspace's files.</param>
/// <param name="Reason">Why it was rejected, blocked or refused; null otherwise.</param>
/// <param name="RowsLoaded">For a loaded CSV: rows loaded; <paramref name="RowsRejected"/> those that were not.</param>
public sealed record UploadOutcomeRecorded(
    Guid UploadId,
    Guid Tid,
    string Wsid,
    string Name,
    long Size,
    UploadOutcome Outcome,
    string? Location,
    string? Reason,
    DateTimeOffset At,
    long? RowsLoaded = null,
    long? RowsRejected = null);
