using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Inlet.BuildingBlocks.Storage;

namespace Inlet.Tokens.Storage;

/// <summary>
/// Each token writes into a container of its own, guarded by one stored access policy: the SAS handed
/// out names the policy, so deleting the policy revokes the SAS at once (docs/adr/0004). New containers are made in
/// the landing account, apart from workspace data (docs/adr/0030); a token issued before that has its container in the
/// workspace account, and its policy is withdrawn there.
/// </summary>
public sealed class UploadTokenStorage(StorageAccounts accounts)
{
    public const string PolicyId = "upload";

    // Create, write and add: enough to upload blocks and commit them. No read, list or delete.
    private const string UploadPermissions = "acw";

    public static string ContainerFor(Guid tid) => $"upload-{tid:N}";

    /// <summary>The account new tokens' containers are provisioned in, as their events record it.</summary>
    public string LandingAccount => accounts.Landing.Name;

    public async Task<Uri> Provision(string container, DateTimeOffset startsOn, DateTimeOffset expiresOn, CancellationToken ct)
    {
        var client = accounts.Landing.Container(container);
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
    /// <param name="account">The account the token's events recorded (null: issued before the landing account, in the workspace account).</param>
    public async Task Withdraw(string? account, string container, CancellationToken ct)
    {
        try
        {
            await accounts.Holding(account).Container(container).SetAccessPolicyAsync(permissions: [], cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The container is already gone: nothing can be uploaded with the token anyway.
        }
    }
}
