using Azure;
using Azure.Storage.Blobs;

namespace Inlet.Tests.Infrastructure;

/// <summary>What storage answers a token holder who uploads one small blob: 201, or the refusal's status (403, …).</summary>
public static class StorageProbe
{
    public static Task<int> TryUpload(string containerSas) => TryUpload(new Uri(containerSas), $"probe-{Guid.NewGuid():N}.txt");

    public static async Task<int> TryUpload(Uri containerSas, string blob)
    {
        try
        {
            await new BlobContainerClient(containerSas).GetBlobClient(blob).UploadAsync(BinaryData.FromString("probe"));
            return 201;
        }
        catch (RequestFailedException e)
        {
            return e.Status;
        }
    }
}
