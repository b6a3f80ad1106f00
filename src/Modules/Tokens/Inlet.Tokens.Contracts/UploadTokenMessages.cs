namespace Inlet.Tokens.Contracts;

/// <summary>Where the files an upload token delivers must end up.</summary>
public enum DestinationKind
{
    Inbox,
    Folder,
    Database,
}

/// <param name="Folder">The workspace folder (relative path) when <see cref="Kind"/> is <see cref="DestinationKind.Folder"/>.</param>
/// <param name="BadRows">For a database token: "report" (load the rows that parse, list the others) or "refuse" (refuse a
/// file with any bad row); null for the default (report without metadata, refuse with declared metadata).</param>
public sealed record UploadDestination(DestinationKind Kind, string? Folder, string? BadRows = null)
{
    public static readonly UploadDestination Inbox = new(DestinationKind.Inbox, null);
}

/// <summary>
/// What a token may deliver (docs/adr/0028-upload-quotas.md): at most <paramref name="MaxBytes"/> bytes and
/// <paramref name="MaxFiles"/> files in all (null: no limit), and only files whose name matches one of
/// <paramref name="AllowedPatterns"/> (globs such as <c>*.csv</c>; empty: any file).
/// </summary>
public sealed record UploadQuota(long? MaxBytes, int? MaxFiles, IReadOnlyList<string> AllowedPatterns)
{
    public static readonly UploadQuota None = new(null, null, []);

    /// <summary>Whether files are counted against the token: with a byte or file limit.</summary>
    public bool Counts => MaxBytes is not null || MaxFiles is not null;

    public bool IsNone => !Counts && AllowedPatterns.Count == 0;
}

/// <summary>Published when a token has been issued: uploads with it land in <paramref name="Container"/>.</summary>
/// <param name="Quota">Its limits; null in messages from before quotas (no limit).</param>
/// <param name="Account">The storage account <paramref name="Container"/> is in (the landing account, docs/adr/0030); null in
/// messages from before it: the workspace account, where those tokens' containers were made.</param>
public sealed record UploadTokenActivated(
    Guid Tid,
    string Wsid,
    string Container,
    UploadDestination Destination,
    DateTimeOffset ValidFrom,
    DateTimeOffset ValidTo,
    UploadQuota? Quota = null,
    string? Account = null);

public enum UploadTokenClosedReason
{
    Revoked,
    Expired,
}

/// <summary>Published when a token stops accepting uploads; what arrived before is still to be ingested.</summary>
/// <param name="Account">The storage account of <paramref name="Container"/>, as in <see cref="UploadTokenActivated.Account"/>.</param>
public sealed record UploadTokenClosed(Guid Tid, string Wsid, string Container, UploadTokenClosedReason Reason, DateTimeOffset At, string? Account = null);

/// <summary>Sent to Tokens by whoever ingested a batch of files delivered with a token.</summary>
/// <param name="BatchId">Identifies the batch so that a re-delivered message is counted once.</param>
public sealed record RecordUploadTokenUsage(Guid Tid, string Wsid, Guid BatchId, int Files, long Bytes, DateTimeOffset At);

/// <summary>
/// Sent to Tokens by Ingestion, once, when the files counted against a token's quota reached it or a file would
/// have crossed it: Tokens withdraws the stored access policy (storage refuses further uploads) and records the
/// token as exhausted. <paramref name="Reason"/> names the limit and the usage.
/// </summary>
public sealed record MarkUploadTokenExhausted(Guid Tid, string Wsid, string Reason, long UsedBytes, int UsedFiles, DateTimeOffset At);

/// <summary>Published by Tokens when a token was exhausted: its policy is withdrawn, storage refuses further uploads.</summary>
public sealed record UploadTokenExhausted(Guid Tid, string Wsid, string Container, string Reason, DateTimeOffset At);

/// <summary>Published three days before an open token's valid_to (not for a token valid for three days or less).</summary>
public sealed record UploadTokenExpiring(Guid Tid, string Wsid, string Container, DateTimeOffset ValidTo, DateTimeOffset At);
