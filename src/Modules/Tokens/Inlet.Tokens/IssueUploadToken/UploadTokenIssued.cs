using Inlet.Tokens.Contracts;

namespace Inlet.Tokens.IssueUploadToken;

/// <summary>A workspace member issued an upload token. The SAS itself is never part of the event.</summary>
/// <param name="Quota">Its limits (docs/adr/0028-upload-quotas.md); null for none, as in every event from before quotas.</param>
/// <param name="Account">The storage account holding <paramref name="Container"/>: the landing account (docs/adr/0030); null in
/// events from before it, whose containers are in the workspace account.</param>
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
    UploadQuota? Quota = null,
    string? Account = null);
