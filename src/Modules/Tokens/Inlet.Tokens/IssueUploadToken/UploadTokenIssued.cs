using Inlet.Tokens.Contracts;

namespace Inlet.Tokens.IssueUploadToken;

/// <summary>A workspace member issued an upload token. The SAS itself is never part of the event.</summary>
public sealed record UploadTokenIssued(
    Guid Tid,
    string Wsid,
    string Reason,
    string IssuedBy,
    DateTimeOffset IssuedAt,
    DateTimeOffset ValidFrom,
    DateTimeOffset ValidTo,
    UploadDestination Destination,
    string Container);
