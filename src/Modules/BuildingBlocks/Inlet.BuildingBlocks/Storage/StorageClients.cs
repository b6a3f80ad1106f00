using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace Inlet.BuildingBlocks.Storage;

/// <summary>
/// The blob account every module works against, from <c>ConnectionStrings:Storage</c> or from
/// <c>Storage:AccountName</c> + <c>Storage:AccountKey</c>. Upload tokens are account-key service SAS with
/// stored access policies, so the shared key must be known (ADR 15).
/// </summary>
public sealed class StorageAccount
{
    private const string Missing =
        "Blob storage is not configured: set ConnectionStrings:Storage (environment variable ConnectionStrings__Storage) " +
        "to a connection string with AccountName and AccountKey, or set Storage:AccountName and Storage:AccountKey " +
        "(Storage__AccountName, Storage__AccountKey), optionally with Storage:BlobEndpoint or Storage:EndpointSuffix.";

    /// <summary>
    /// A connection string wins; otherwise the account is assembled from its parts, so that the key can come
    /// from a secret store on its own and the endpoint from the environment (sovereign cloud, private endpoint, Azurite).
    /// </summary>
    public static StorageAccount FromConfiguration(IConfiguration config)
    {
        var connectionString = config.GetConnectionString("Storage");
        if (!string.IsNullOrWhiteSpace(connectionString))
            return new StorageAccount(connectionString);
        var name = config["Storage:AccountName"];
        var key = config["Storage:AccountKey"];
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(key))
            throw new InvalidOperationException(Missing);
        var endpoint = config["Storage:BlobEndpoint"];
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                throw new InvalidOperationException($"Storage:BlobEndpoint must be an absolute http(s) address, such as https://{name}.blob.core.windows.net; it is '{endpoint}'.");
            return new StorageAccount($"AccountName={name};AccountKey={key};BlobEndpoint={uri.AbsoluteUri.TrimEnd('/')}");
        }
        var suffix = config["Storage:EndpointSuffix"] is { Length: > 0 } configured ? configured : "core.windows.net";
        return new StorageAccount($"DefaultEndpointsProtocol=https;AccountName={name};AccountKey={key};EndpointSuffix={suffix}");
    }

    public StorageAccount(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException(Missing);
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
