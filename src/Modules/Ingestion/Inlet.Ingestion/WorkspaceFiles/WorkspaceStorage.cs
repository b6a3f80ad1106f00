using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Inlet.BuildingBlocks.Storage;
using Inlet.Ingestion.Routing;

namespace Inlet.Ingestion.WorkspaceFiles;

/// <summary>
/// Each workspace's files live in one container of their own (docs/adr/0007), at the path the API shows, in the
/// workspace account. Uploads are read from token containers in the account the token recorded (the landing account,
/// docs/adr/0030; the workspace account for tokens from before it): <c>sourceAccount</c> below. Copies from token
/// containers are server-side, across the two accounts; no file's bytes pass through the Host on the way.
/// </summary>
public sealed class WorkspaceStorage(StorageAccounts accounts)
{
    private readonly StorageAccount account = accounts.Workspace;

    public const string UploadIdKey = "inlet_upload";
    private readonly ConcurrentDictionary<string, bool> _ensured = new();

    public static string ContainerFor(string wsid) =>
        "ws-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(wsid)).AsSpan(0, 16));

    public BlobContainerClient Workspace(string wsid) => account.Container(ContainerFor(wsid));

    private async Task<BlobContainerClient> EnsureWorkspace(string wsid, CancellationToken ct)
    {
        var container = Workspace(wsid);
        if (_ensured.TryAdd(container.Name, true))
            await container.CreateIfNotExistsAsync(metadata: new Dictionary<string, string> { ["wsid"] = wsid }, cancellationToken: ct);
        return container;
    }

    /// <summary>
    /// Copies the exact blob version <paramref name="etag"/> to <paramref name="location"/>, never over another file.
    /// Returns true when the copy at <paramref name="location"/> is this upload's (also when an earlier attempt made it).
    /// </summary>
    public async Task<bool> CopyIn(string wsid, string? sourceAccount, string sourceContainer, string blobName, ETag etag, string location, Guid uploadId, CancellationToken ct)
    {
        var workspace = await EnsureWorkspace(wsid, ct);
        var target = workspace.GetBlobClient(location);
        if (await IsOurs(target, uploadId, ct))
            return true;

        try
        {
            if (LiteralBlobs.Needed(blobName))
            {
                // A name the SDK would address as another blob ('..', '.', empty segments), always bound for the quarantine:
                // read by its literal address and written there (no copy source URL can name it, see LiteralBlobs.OpenRead).
                await using var content = await LiteralBlobs.OpenRead(accounts.Holding(sourceAccount), sourceContainer, blobName, etag, ct);
                await target.UploadAsync(content, new BlobUploadOptions
                {
                    Metadata = new Dictionary<string, string> { [UploadIdKey] = uploadId.ToString("N") },
                    Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                }, ct);
                return true;
            }
            // A read SAS of the one source blob, made with the key of the account it is in: the copy's source is authorised
            // by it alone, so it works across accounts (measured on Azurite, docs/adr/0030).
            var sourceUri = Source(sourceAccount, sourceContainer, blobName).GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));
            var copy = await target.StartCopyFromUriAsync(sourceUri, new BlobCopyFromUriOptions
            {
                Metadata = new Dictionary<string, string> { [UploadIdKey] = uploadId.ToString("N") },
                SourceConditions = new BlobRequestConditions { IfMatch = etag },
                DestinationConditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, ct);
            await copy.WaitForCompletionAsync(TimeSpan.FromMilliseconds(250), ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // The target exists already: ours from an interrupted attempt, or somebody else's file.
            return await IsOurs(target, uploadId, ct);
        }
    }

    private static async Task<bool> IsOurs(BlobClient target, Guid uploadId, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var properties = (await target.GetPropertiesAsync(cancellationToken: ct)).Value;
                if (!properties.Metadata.TryGetValue(UploadIdKey, out var id) || id != uploadId.ToString("N"))
                    return false;
                if (properties.CopyStatus != CopyStatus.Pending || properties.CopyId is null)
                    return properties.CopyStatus is not (CopyStatus.Failed or CopyStatus.Aborted);
                // An earlier attempt's server-side copy is still running: the source must stay until it ends.
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>The MD5 of the blob's bytes, read as a stream (memory stays flat whatever the size).</summary>
    public async Task<byte[]> ComputeMd5(string? sourceAccount, string container, string blobName, ETag etag, CancellationToken ct)
    {
        var blob = Source(sourceAccount, container, blobName);
        await using var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false)
        {
            Conditions = new BlobRequestConditions { IfMatch = etag },
            BufferSize = 4 * 1024 * 1024,
        }, ct);
        return await MD5.HashDataAsync(stream, ct);
    }

    /// <summary>
    /// The exact blob version's bytes in one streamed GET (<c>If-Match</c> its ETag), for the malware scan and the MD5
    /// check in the same read. One request whatever the size: a small file costs one round trip instead of OpenRead's
    /// two (properties, then a range), and a large one streams while clamd takes it instead of waiting for each ranged
    /// read in turn (docs/adr/0023-malware-scanning.md, revision 2026-12-03). Memory stays flat: the caller reads it a
    /// chunk at a time, and the SDK resumes a broken download where it stopped, pinned to the same ETag.
    /// </summary>
    /// <returns>The bytes, and how storage says this version was made (the same response's copy headers).</returns>
    public async Task<(Stream Content, BlobOrigin Origin)> OpenSource(string? sourceAccount, string container, string blobName, ETag etag, CancellationToken ct)
    {
        var response = await Source(sourceAccount, container, blobName).DownloadStreamingAsync(new BlobDownloadOptions
        {
            Conditions = new BlobRequestConditions { IfMatch = etag },
        }, ct);
        return (response.Value.Content, OriginOf(response.GetRawResponse()));
    }

    /// <summary>How storage says the exact blob version was made (its copy properties), for uploads whose bytes routing does not read.</summary>
    public async Task<BlobOrigin> Origin(string? sourceAccount, string container, string blobName, ETag etag, CancellationToken ct)
    {
        var response = await Source(sourceAccount, container, blobName).GetPropertiesAsync(new BlobRequestConditions { IfMatch = etag }, ct);
        return OriginOf(response.GetRawResponse());
    }

    // From the raw headers: the SDK's CopyStatus reads "pending" when storage sent none, so only the headers tell a copy
    // from an upload. The copy source itself (an address, possibly with a signature) is never kept, only whether it was there.
    private static BlobOrigin OriginOf(Response response) => new(
        response.Headers.TryGetValue("x-ms-copy-id", out var id) ? id : null,
        response.Headers.TryGetValue("x-ms-copy-status", out var status) ? status : null,
        response.Headers.TryGetValue("x-ms-copy-source", out _));

    private BlobClient Source(string? sourceAccount, string container, string blobName) =>
        accounts.Holding(sourceAccount).Container(container).GetBlobClient(blobName);

    /// <summary>Which of <paramref name="names"/> are blobs in <paramref name="container"/> (a token's container: delivered, not yet routed).</summary>
    public async Task<List<string>> Waiting(string? sourceAccount, string container, IReadOnlyList<string> names, CancellationToken ct)
    {
        var client = accounts.Holding(sourceAccount).Container(container);
        var found = await Task.WhenAll(names.Select(async name => (await client.GetBlobClient(name).ExistsAsync(ct)).Value ? name : null));
        return [.. found.OfType<string>()];
    }

    /// <summary>Deletes the upload's source blob, only in the version that was routed.</summary>
    public async Task DeleteSource(string? sourceAccount, string container, string blobName, ETag etag, CancellationToken ct)
    {
        try
        {
            if (LiteralBlobs.Needed(blobName))
                await LiteralBlobs.Delete(accounts.Holding(sourceAccount), container, blobName, etag, ct);
            else
                await Source(sourceAccount, container, blobName)
                    .DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = etag }, ct);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone already, or replaced by a newer upload that will be routed on its own.
        }
    }

    /// <summary>Removes a staged copy that has served its purpose.</summary>
    public async Task Delete(string wsid, string location, CancellationToken ct) =>
        await Workspace(wsid).GetBlobClient(location).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct);

    /// <summary>
    /// Deletes the file at <paramref name="location"/> only if it is upload <paramref name="uploadId"/>'s copy
    /// (and only that version of it), so retention can never remove a file another upload put there.
    /// </summary>
    public async Task DeleteIfOurs(string wsid, string location, Guid uploadId, CancellationToken ct)
    {
        var blob = Workspace(wsid).GetBlobClient(location);
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: ct)).Value;
            if (!properties.Metadata.TryGetValue(UploadIdKey, out var id) || id != uploadId.ToString("N"))
                return;
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = properties.ETag }, ct);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Gone already (an earlier attempt, another node), or replaced since: not ours to delete.
        }
    }

    /// <summary>Deletes every blob under <paramref name="prefix"/> (a folder) of the workspace; returns how many went.</summary>
    public async Task<int> DeleteFolder(string wsid, string prefix, CancellationToken ct)
    {
        var container = Workspace(wsid);
        var deleted = 0;
        try
        {
            await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct))
                if ((await container.GetBlobClient(item.Name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct)).Value)
                    deleted++;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No workspace container: nothing was ever staged there.
        }
        return deleted;
    }

    public async Task<Stream?> OpenRead(string wsid, string location, CancellationToken ct)
    {
        try
        {
            return await Workspace(wsid).GetBlobClient(location).OpenReadAsync(cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
