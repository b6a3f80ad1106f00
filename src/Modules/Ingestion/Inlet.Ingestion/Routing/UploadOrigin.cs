namespace Inlet.Ingestion.Routing;

/// <summary>
/// How storage says a blob version came to be: the copy properties it reports for it (<c>x-ms-copy-id</c>,
/// <c>x-ms-copy-status</c>, and whether <c>x-ms-copy-source</c> was sent; the source address itself is never kept, it
/// may carry a signature). All absent for a blob made by Put Blob or Put Block List.
/// </summary>
public sealed record BlobOrigin(string? CopyId, string? CopyStatus, bool HasCopySource)
{
    public static readonly BlobOrigin Uploaded = new(null, null, false);
}

/// <summary>
/// Only uploaded bytes are routed (docs/adr/0030-landing-account.md). A token's SAS may write (<c>acw</c>), and storage
/// lets a writer fill a blob from another blob server-side: Copy Blob, Copy Blob From URL, Put Blob From URL. Such a
/// blob holds bytes the token holder may never have had (another token's upload, or, with a shared account, a
/// workspace's file), so routing rejects it into the quarantine whatever the layout of the accounts.
/// </summary>
public static class UploadOrigin
{
    /// <summary>The reason a blob version is refused, or null for uploaded bytes.</summary>
    public static string? Rejection(BlobOrigin origin) =>
        origin is { CopyId: null, CopyStatus: null, HasCopySource: false }
            ? null
            : "The file was created by a server-side copy (Copy Blob, Copy Blob From URL or Put Blob From URL) from another location, not uploaded; "
              + "only uploaded bytes are accepted (Put Blob, or Put Block and Put Block List, as AzCopy uploads). It is kept in quarantine and was not routed. "
              + "Upload the file itself.";
}
