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

/// <summary>Published when a token has been issued: uploads with it land in <paramref name="Container"/>.</summary>
public sealed record UploadTokenActivated(
    Guid Tid,
    string Wsid,
    string Container,
    UploadDestination Destination,
    DateTimeOffset ValidFrom,
    DateTimeOffset ValidTo);

public enum UploadTokenClosedReason
{
    Revoked,
    Expired,
}

/// <summary>Published when a token stops accepting uploads; what arrived before is still to be ingested.</summary>
public sealed record UploadTokenClosed(Guid Tid, string Wsid, string Container, UploadTokenClosedReason Reason, DateTimeOffset At);

/// <summary>Sent to Tokens by whoever ingested a batch of files delivered with a token.</summary>
/// <param name="BatchId">Identifies the batch so that a re-delivered message is counted once.</param>
public sealed record RecordUploadTokenUsage(Guid Tid, string Wsid, Guid BatchId, int Files, long Bytes, DateTimeOffset At);

/// <summary>Published when a token can take no more uploads because a quota of it is used up (files, bytes).</summary>
public sealed record UploadTokenExhausted(Guid Tid, string Wsid, string Container, string Reason, DateTimeOffset At);

/// <summary>Published three days before an open token's valid_to (not for a token valid for three days or less).</summary>
public sealed record UploadTokenExpiring(Guid Tid, string Wsid, string Container, DateTimeOffset ValidTo, DateTimeOffset At);
