using System.Net;
using Azure;
using Azure.Storage.Sas;

namespace Inlet.BuildingBlocks.Storage;

/// <summary>A source blob's properties, read from storage (never from an event or a listing's word alone).</summary>
/// <param name="ETag">Without quotes, as listings write it: the upload id derives from it (ADR 7).</param>
public sealed record SourceBlob(ETag ETag, long Size, byte[]? ContentHash, DateTimeOffset LastModified);

/// <summary>
/// Requests for a blob whose name the Azure SDK would change on the way to storage. Its clients build addresses with
/// <see cref="Uri"/>, which removes dot segments (<c>a/../b.txt</c> becomes <c>b.txt</c>, <c>../x.txt</c> leaves the
/// container) and the SDK trims a leading or trailing '/': the copy of such a blob to the quarantine failed
/// (CannotVerifyCopySource) or read another blob, so the upload stayed pending for ever (issue #32). Here the address
/// is written segment by segment, a '.' or '..' segment percent-encoded (<c>%2E%2E</c>, which storage decodes back into
/// the name), and sent exactly so (<see cref="UriCreationOptions.DangerousDisablePathAndQueryCanonicalization"/>),
/// authorised by a short-lived SAS for that one blob: read, read its properties, delete. Names that need none of this
/// go through the SDK as before.
/// </summary>
public static class LiteralBlobs
{
    private static readonly UriCreationOptions AsWritten = new() { DangerousDisablePathAndQueryCanonicalization = true };
    private static readonly TimeSpan SasLifetime = TimeSpan.FromHours(1);

    // Like ContainerProbe's: no activity propagation, so a URL with a signature is never in a span.
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        ActivityHeadersPropagator = null,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
    })
    { Timeout = TimeSpan.FromSeconds(100) };

    /// <summary>Whether the SDK would address another blob than <paramref name="name"/>: an empty, '.' or '..' segment, or a '\'.</summary>
    public static bool Needed(string name) => name.Contains('\\') || name.Split('/').Any(s => s is "" or "." or "..");

    /// <summary>The blob's path below its container, each segment percent-encoded, dot segments too.</summary>
    public static string Path(string name) =>
        string.Join('/', name.Split('/').Select(s => s is "." or ".." ? s.Replace(".", "%2E") : Uri.EscapeDataString(s)));

    private static (Uri Address, string Version) Address(StorageAccount account, string container, string name, BlobSasPermissions permissions)
    {
        var now = DateTimeOffset.UtcNow; // storage's clock, never a test's TimeProvider
        var sas = new BlobSasBuilder(permissions, now + SasLifetime)
        {
            BlobContainerName = container, BlobName = name, Resource = "b", StartsOn = now - TimeSpan.FromMinutes(5),
            Protocol = account.Service.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        }.ToSasQueryParameters(account.Credential);
        return (new Uri($"{account.Service.Uri.AbsoluteUri.TrimEnd('/')}/{Uri.EscapeDataString(container)}/{Path(name)}?{sas}", AsWritten), sas.Version);
    }

    // Never the address: it carries a signature.
    private static RequestFailedException Failed(string what, string container, HttpResponseMessage response) =>
        StorageRefusal.From($"{what} a blob of container {container}", response);

    /// <summary>The blob's properties, or null when it does not exist (any more).</summary>
    public static async Task<SourceBlob?> Properties(StorageAccount account, string container, string name, CancellationToken ct)
    {
        if (!Needed(name))
        {
            try
            {
                var p = (await account.Container(container).GetBlobClient(name).GetPropertiesAsync(cancellationToken: ct)).Value;
                return new SourceBlob(p.ETag, p.ContentLength, p.ContentHash, p.LastModified);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return null;
            }
        }
        var (address, version) = Address(account, container, name, BlobSasPermissions.Read);
        using var request = new HttpRequestMessage(HttpMethod.Head, address);
        request.Headers.TryAddWithoutValidation("x-ms-version", version);
        using var response = await Http.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        if (!response.IsSuccessStatusCode)
            throw Failed("Reading", container, response);
        var etag = response.Headers.ETag?.Tag.Trim('"') ?? "";
        var md5 = response.Content.Headers.ContentMD5;
        return new SourceBlob(new ETag(etag), response.Content.Headers.ContentLength ?? 0, md5 is { Length: > 0 } ? md5 : null,
            response.Content.Headers.LastModified ?? DateTimeOffset.MinValue);
    }

    /// <summary>Deletes the blob only in version <paramref name="etag"/>; a 404 or 412 throws with its status, as the SDK does.</summary>
    public static async Task Delete(StorageAccount account, string container, string name, ETag etag, CancellationToken ct)
    {
        var (address, version) = Address(account, container, name, BlobSasPermissions.Delete);
        using var request = new HttpRequestMessage(HttpMethod.Delete, address);
        request.Headers.TryAddWithoutValidation("x-ms-version", version);
        request.Headers.TryAddWithoutValidation("x-ms-delete-snapshots", "include");
        request.Headers.TryAddWithoutValidation("If-Match", Quoted(etag));
        using var response = await Http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw Failed("Deleting", container, response);
    }

    /// <summary>
    /// The bytes of version <paramref name="etag"/> of the blob, in one streamed GET. Not a server-side copy: the copy source
    /// is a URL that storage parses again, and Azurite's parser (WHATWG URL) takes <c>%2E%2E</c> for <c>..</c> and removes it,
    /// so the copy failed with CannotVerifyCopySource whatever the encoding. Such names are always rejected, so this
    /// read, into the quarantine, is the only one they cost; the caller streams it (memory stays flat).
    /// </summary>
    public static async Task<Stream> OpenRead(StorageAccount account, string container, string name, ETag etag, CancellationToken ct)
    {
        var (address, version) = Address(account, container, name, BlobSasPermissions.Read);
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.TryAddWithoutValidation("x-ms-version", version);
        request.Headers.TryAddWithoutValidation("If-Match", Quoted(etag));
        var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
                throw Failed("Reading", container, response);
        }
        return new ResponseStream(response, await response.Content.ReadAsStreamAsync(ct));
    }

    /// <summary>The body of a response that is disposed with it.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream body) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => body.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => body.ReadAsync(buffer, ct);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => body.ReadAsync(buffer, offset, count, ct);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                body.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private static string Quoted(ETag etag) => $"\"{etag.ToString().Trim('"')}\"";
}
