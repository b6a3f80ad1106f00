namespace Inlet.BuildingBlocks.Storage;

/// <summary>
/// One spelling of a blob version's ETag. Storage writes the same version's ETag unquoted in a listing
/// (<c>0x8D4BCC2E4835CD0</c>) and quoted in a response header (<c>"0x8D4BCC2E4835CD0"</c>, as Get Blob Properties
/// and Event Grid's properties read give it); Azure and Azurite both do so. The upload id derives from the ETag
/// (ADR 7), so the two spellings would make two uploads of one blob: one found by the poller, one pushed by Event Grid.
/// </summary>
public static class BlobETags
{
    /// <summary>The ETag as a listing writes it: without the surrounding quotes (and without a weak <c>W/</c> prefix).</summary>
    public static string Unquoted(string etag)
    {
        var tag = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        return tag.Length >= 2 && tag[0] == '"' && tag[^1] == '"' ? tag[1..^1] : tag;
    }
}
