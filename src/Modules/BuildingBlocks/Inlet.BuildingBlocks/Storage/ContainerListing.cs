using System.Globalization;
using System.Net;
using System.Xml;
using System.Xml.Linq;
using Azure;

namespace Inlet.BuildingBlocks.Storage;

/// <summary>A committed blob as a listing describes it (the properties routing needs, as storage wrote them).</summary>
/// <param name="ETag">As the listing writes it (no quotes), which is what the upload id derives from (ADR 7).</param>
public sealed record ListedBlob(string Name, string ETag, long Size, byte[]? ContentHash, DateTimeOffset LastModified);

/// <summary>A container's committed blobs, and the storage calls it took to list them.</summary>
public sealed record ContainerBlobs(IReadOnlyList<ListedBlob> Blobs, int Calls);

/// <summary>
/// Lists a token container's committed blobs so that no blob name can stop the listing (issue #32). The answer is read
/// with an <see cref="XmlReader"/> that does not check characters, and a name storage wrote percent-encoded
/// (<c>&lt;Name Encoded="true"&gt;</c>, as Azure does for names XML cannot hold) is decoded. Where storage cannot write a
/// page at all (Azurite answers 500 with no body when a name on it holds an XML-invalid character), the blobs before that
/// name are listed with smaller pages, the name itself is found with <see cref="UnlistableNameSearch"/>, and the listing
/// goes on after it: the blob is then routed (and, by its name, rejected) like any other, and the rest of the container
/// never waits for it. Same account SAS and HTTP client as <see cref="ContainerProbe"/> (list permission only).
/// </summary>
public sealed class ContainerListing(ContainerProbe probe, StorageAccount account)
{
    /// <summary>A full page, as the SDK's listing asked for.</summary>
    public const int PageSize = 5000;

    /// <summary>Blob names may be at most 1024 characters (Azure's limit).</summary>
    public const int MaxNameLength = 1024;

    /// <summary>Unlistable names found per listing; more wait for the next one (each found is routed away before then).</summary>
    public const int MaxUnlistablePerListing = 8;

    private static readonly XmlReaderSettings Xml = new()
    {
        Async = true, CheckCharacters = false, DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = true, IgnoreComments = true,
    };

    public async Task<ContainerBlobs> List(string container, CancellationToken ct)
    {
        var calls = 0;
        var blobs = new List<ListedBlob>();
        string? marker = null, startFrom = null;
        var unlistable = 0;
        while (true)
        {
            calls++;
            var page = await Page(container, marker, startFrom, PageSize, ct);
            if (page is null)
            {
                calls++; // once more before searching: a 500 may be storage's own passing fault rather than a name
                page = await Page(container, marker, startFrom, PageSize, ct);
            }
            if (page is not null)
            {
                blobs.AddRange(page.Value.Blobs);
                if (string.IsNullOrEmpty(page.Value.NextMarker))
                    return new ContainerBlobs(blobs, calls);
                (marker, startFrom) = (page.Value.NextMarker, null);
                continue;
            }

            // Storage could not write this page. The blobs it would have begun with are listed in the largest page that works.
            int fits = 0, fails = PageSize;
            IReadOnlyList<ListedBlob> before = [];
            while (fails - fits > 1)
            {
                var size = fits + (fails - fits) / 2;
                calls++;
                if (await Page(container, marker, startFrom, size, ct) is { } smaller)
                    (fits, before) = (size, smaller.Blobs);
                else
                    fails = size;
            }
            if (before.Count > 0)
            {
                blobs.AddRange(before);
                (marker, startFrom) = (before[^1].Name, null);
            }
            if (++unlistable > MaxUnlistablePerListing)
                return new ContainerBlobs(blobs, calls); // the rest at the next listing, once these are routed away

            var (bound, from) = (marker, startFrom);
            var name = await UnlistableNameSearch.Find(async s =>
            {
                calls++;
                var start = from is not null && string.CompareOrdinal(s, from) < 0 ? from : s;
                return await Page(container, bound, start, 1, ct) is null;
            }, MaxNameLength, maxQuestions: 25_000);
            if (name is null)
                throw new RequestFailedException(500, $"Listing container {container} failed, and no blob name storage cannot list was found after {calls} calls; it is tried again later.");
            calls++;
            if (await LiteralBlobs.Properties(account, container, name, ct) is { } found)
                blobs.Add(new ListedBlob(name, BlobETags.Unquoted(found.ETag.ToString()), found.Size, found.ContentHash, found.LastModified));
            startFrom = name + "\0"; // the next name after it (marker stays: startFrom is only ever ≥ it)
        }
    }

    /// <summary>
    /// One page, or null when storage could not write it (a 500, as Azurite answers for a name XML cannot hold); any other
    /// answer that is not a success throws with its status, so a busy or unavailable storage (503, 502, 504) is never
    /// searched, only tried again at the next listing.
    /// </summary>
    private async Task<(IReadOnlyList<ListedBlob> Blobs, string? NextMarker)?> Page(string container, string? marker, string? startFrom, int size, CancellationToken ct)
    {
        var query = $"maxresults={size}"
            + (marker is null ? "" : $"&marker={Uri.EscapeDataString(marker)}")
            + (startFrom is null ? "" : $"&startFrom={Uri.EscapeDataString(startFrom)}");
        using var response = await probe.List(container, query, ct);
        if (response.StatusCode == HttpStatusCode.InternalServerError)
            return null;
        if (!response.IsSuccessStatusCode)
            throw ContainerProbe.Refusal(container, response);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        XDocument document;
        try
        {
            // Asynchronously: the body streams from the socket, and a page of 5,000 blobs must not hold a pool thread.
            using var xml = XmlReader.Create(body, Xml);
            document = await XDocument.LoadAsync(xml, LoadOptions.None, ct);
        }
        catch (XmlException)
        {
            return null; // not an answer storage could write whole: as a failed page
        }
        var blobs = new List<ListedBlob>();
        foreach (var blob in document.Root?.Element("Blobs")?.Elements("Blob") ?? [])
        {
            var nameElement = blob.Element("Name");
            var properties = blob.Element("Properties");
            if (nameElement is null || properties is null)
                continue;
            var name = (string?)nameElement.Attribute("Encoded") == "true" ? Uri.UnescapeDataString(nameElement.Value) : nameElement.Value;
            var md5 = properties.Element("Content-MD5")?.Value;
            blobs.Add(new ListedBlob(name,
                BlobETags.Unquoted(properties.Element("Etag")?.Value ?? ""),
                long.TryParse(properties.Element("Content-Length")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : 0,
                string.IsNullOrEmpty(md5) ? null : Convert.FromBase64String(md5),
                DateTimeOffset.TryParse(properties.Element("Last-Modified")?.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue));
        }
        var next = document.Root?.Element("NextMarker")?.Value;
        return (blobs, string.IsNullOrEmpty(next) ? null : next);
    }
}
