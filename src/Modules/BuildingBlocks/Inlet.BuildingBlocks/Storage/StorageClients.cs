using Azure.Storage;
using Azure.Storage.Blobs;

namespace Inlet.BuildingBlocks.Storage;

/// <summary>
/// The blob account every module works against, from <c>ConnectionStrings:Storage</c>. Upload tokens
/// are account-key service SAS with stored access policies, so the shared key must be known.
/// </summary>
public sealed class StorageAccount
{
    public StorageAccount(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("ConnectionStrings:Storage is not configured.");
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("AccountName", out var name) || !parts.TryGetValue("AccountKey", out var key))
            throw new InvalidOperationException("ConnectionStrings:Storage must hold AccountName and AccountKey: upload tokens are service SAS signed with the account key.");
        Credential = new StorageSharedKeyCredential(name, key);
        Service = new BlobServiceClient(connectionString, new BlobClientOptions
        {
            Retry = { MaxRetries = 3, NetworkTimeout = TimeSpan.FromSeconds(100) },
        });
    }

    public BlobServiceClient Service { get; }

    public StorageSharedKeyCredential Credential { get; }

    public BlobContainerClient Container(string name) => Service.GetBlobContainerClient(name);
}
