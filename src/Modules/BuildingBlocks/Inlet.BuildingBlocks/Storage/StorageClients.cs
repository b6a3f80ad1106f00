using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace Inlet.BuildingBlocks.Storage;

/// <summary>
/// One blob account, from a connection string (<c>ConnectionStrings:Storage</c>, <c>ConnectionStrings:Landing</c>) or from
/// its parts (<c>Storage:AccountName</c> + <c>Storage:AccountKey</c>, <c>Storage:Landing:AccountName</c> + …). Upload
/// tokens are account-key service SAS with stored access policies, so the shared key must be known (ADR 15); both
/// accounts are read by this one parser (<see cref="StorageAccounts"/>, docs/adr/0030).
/// </summary>
public sealed class StorageAccount
{
    /// <summary>How one account is configured: the connection string's name and the section of its parts.</summary>
    public sealed record Settings(string Purpose, string ConnectionString, string Section)
    {
        public static readonly Settings Workspace = new("Blob storage (the workspace account)", "Storage", "Storage");
        public static readonly Settings Landing = new("The landing account (where upload tokens' containers live)", "Landing", "Storage:Landing");

        private static string Variable(string key) => key.Replace(":", "__", StringComparison.Ordinal);

        public string Missing =>
            $"{Purpose} is not configured: set ConnectionStrings:{ConnectionString} (environment variable ConnectionStrings__{ConnectionString}) " +
            $"to a connection string with AccountName and AccountKey, or set {Section}:AccountName and {Section}:AccountKey " +
            $"({Variable(Section)}__AccountName, {Variable(Section)}__AccountKey), optionally with {Section}:BlobEndpoint or {Section}:EndpointSuffix.";
    }

    /// <summary>The workspace account (<c>ConnectionStrings:Storage</c> or <c>Storage:*</c>).</summary>
    public static StorageAccount FromConfiguration(IConfiguration config) => FromConfiguration(config, Settings.Workspace);

    /// <summary>
    /// A connection string wins; otherwise the account is assembled from its parts, so that the key can come
    /// from a secret store on its own and the endpoint from the environment (sovereign cloud, private endpoint, Azurite).
    /// </summary>
    public static StorageAccount FromConfiguration(IConfiguration config, Settings settings)
    {
        var connectionString = config.GetConnectionString(settings.ConnectionString);
        if (!string.IsNullOrWhiteSpace(connectionString))
            return new StorageAccount(connectionString, settings);
        var name = config[$"{settings.Section}:AccountName"];
        var key = config[$"{settings.Section}:AccountKey"];
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(key))
            throw new InvalidOperationException(settings.Missing);
        var endpoint = config[$"{settings.Section}:BlobEndpoint"];
        if (!string.IsNullOrWhiteSpace(endpoint))
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                throw new InvalidOperationException($"{settings.Section}:BlobEndpoint must be an absolute http(s) address, such as https://{name}.blob.core.windows.net; it is '{endpoint}'.");
            return new StorageAccount($"AccountName={name};AccountKey={key};BlobEndpoint={uri.AbsoluteUri.TrimEnd('/')}", settings);
        }
        var suffix = config[$"{settings.Section}:EndpointSuffix"] is { Length: > 0 } configured ? configured : "core.windows.net";
        return new StorageAccount($"DefaultEndpointsProtocol=https;AccountName={name};AccountKey={key};EndpointSuffix={suffix}", settings);
    }

    public StorageAccount(string connectionString) : this(connectionString, Settings.Workspace)
    {
    }

    public StorageAccount(string connectionString, Settings settings)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException(settings.Missing);
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("AccountName", out var name) || !parts.TryGetValue("AccountKey", out var key))
            throw new InvalidOperationException($"ConnectionStrings:{settings.ConnectionString} must hold AccountName and AccountKey: upload tokens are service SAS signed with the account key.");
        Credential = new StorageSharedKeyCredential(name, key);
        Service = new BlobServiceClient(connectionString, new BlobClientOptions
        {
            Retry = { MaxRetries = 3, NetworkTimeout = TimeSpan.FromSeconds(100) },
        });
    }

    public BlobServiceClient Service { get; }

    public StorageSharedKeyCredential Credential { get; }

    /// <summary>The account's name, as token containers record it (not a secret).</summary>
    public string Name => Credential.AccountName;

    public BlobContainerClient Container(string name) => Service.GetBlobContainerClient(name);
}

/// <summary>
/// Inlet's two accounts (docs/adr/0030-landing-account.md): the workspace account holds the workspaces' containers
/// (<c>ws-…</c>), the landing account every upload token's container (<c>upload-…</c>), so that no SAS a token holder
/// has can reach workspace data, not even as the source of a server-side copy. The Host holds both keys.
/// </summary>
public sealed class StorageAccounts
{
    public StorageAccounts(StorageAccount workspace, StorageAccount landing)
    {
        if (string.Equals(workspace.Name, landing.Name, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException(
                $"The landing account must be another storage account than the workspace account; both are '{workspace.Name}'. " +
                "Upload tokens' containers live apart from workspace data so that a token's SAS cannot reach it (docs/adr/0030-landing-account.md): " +
                "set ConnectionStrings:Landing (or Storage:Landing:AccountName and Storage:Landing:AccountKey) to a second account.");
        Workspace = workspace;
        Landing = landing;
    }

    /// <summary>Both accounts; a missing landing account, or one that is the workspace account, stops the Host with the settings to supply.</summary>
    public static StorageAccounts FromConfiguration(IConfiguration config) =>
        new(StorageAccount.FromConfiguration(config, StorageAccount.Settings.Workspace), StorageAccount.FromConfiguration(config, StorageAccount.Settings.Landing));

    public StorageAccount Workspace { get; }

    /// <summary>Where new upload tokens' containers are created.</summary>
    public StorageAccount Landing { get; }

    /// <summary>
    /// The account a token's container is in, by the name recorded when the token was issued. No name: a token issued
    /// before the landing account existed, whose container is in the workspace account (it keeps working until it closes).
    /// </summary>
    public StorageAccount Holding(string? accountName)
    {
        if (accountName is null || string.Equals(accountName, Workspace.Name, StringComparison.OrdinalIgnoreCase))
            return Workspace;
        if (string.Equals(accountName, Landing.Name, StringComparison.OrdinalIgnoreCase))
            return Landing;
        throw new InvalidOperationException(
            $"A token's container is in storage account '{accountName}', which is neither the workspace account '{Workspace.Name}' nor the landing account '{Landing.Name}'. " +
            "Configure the landing account it was issued in (ConnectionStrings:Landing) until its tokens have closed and been swept.");
    }
}
