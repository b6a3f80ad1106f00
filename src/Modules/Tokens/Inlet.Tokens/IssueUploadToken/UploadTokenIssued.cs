using Inlet.Tokens.Contracts;

namespace Inlet.Tokens.IssueUploadToken;

/// <summary>A workspace member issued an upload token. The SAS itself is never part of the event.</summary>
/// <param name="Quota">Its limits (docs/adr/0028-upload-quotas.md); null for none, as in every event from before quotas.</param>
public sealed record UploadTokenIssued(
    Guid Tid,
    string Wsid,
    string Reason,
    string IssuedBy,
    DateTimeOffset IssuedAt,
    DateTimeOffset ValidFrom,
    DateTimeOffset ValidTo,
    UploadDestination Destination,
    string Container,
    UploadQuota? Quota = null);
