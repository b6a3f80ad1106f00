using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Inlet.BuildingBlocks.Storage;

namespace Inlet.Tokens.Storage;

/// <summary>
/// Each token writes into a container of its own, guarded by one stored access policy: the SAS handed
/// out names the policy, so deleting the policy revokes the SAS at once (docs/adr/0004).
/// </summary>
public sealed class UploadTokenStorage(StorageAccount account)
{
    public const string PolicyId = "upload";

    // Create, write and add: enough to upload blocks and commit them. No read, list or delete.
    private const string UploadPermissions = "acw";

    public static string ContainerFor(Guid tid) => $"upload-{tid:N}";

    public async Task<Uri> Provision(string container, DateTimeOffset startsOn, DateTimeOffset expiresOn, CancellationToken ct)
    {
        var client = account.Container(container);
        await client.CreateIfNotExistsAsync(cancellationToken: ct);
        await client.SetAccessPolicyAsync(
            permissions: [new BlobSignedIdentifier
            {
                Id = PolicyId,
                AccessPolicy = new BlobAccessPolicy { PolicyStartsOn = startsOn, PolicyExpiresOn = expiresOn, Permissions = UploadPermissions },
            }],
            cancellationToken: ct);
        return client.GenerateSasUri(new BlobSasBuilder { BlobContainerName = container, Resource = "c", Identifier = PolicyId });
    }

    /// <summary>Removes the stored access policy so that every SAS referencing it stops working. Idempotent.</summary>
    public async Task Withdraw(string container, CancellationToken ct)
    {
        try
        {
            await account.Container(container).SetAccessPolicyAsync(permissions: [], cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The container is already gone: nothing can be uploaded with the token anyway.
        }
    }
}
