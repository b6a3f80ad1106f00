using Azure;
using Azure.Storage.Blobs;

namespace Inlet.Tests.Tokens;

/// <summary>A token may start later: until then storage refuses it, because the stored access policy starts then.</summary>
public sealed class ScheduledValidityTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task A_token_valid_from_tomorrow_is_refused_by_storage_today_and_works_once_its_policy_starts()
    {
        var ws = InletApp.NewWorkspace("sched");
        var alice = await app.SignedIn("alice", ws);
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1);
        var issued = await alice.Issue(ws, new { reason = "starts tomorrow", valid_from = tomorrow, valid_days = 2 });
        Assert.Equal(tomorrow.ToUnixTimeSeconds(), DateTimeOffset.Parse(issued.Str("valid_from")).ToUnixTimeSeconds());
        Assert.Equal(tomorrow.AddDays(2).ToUnixTimeSeconds(), DateTimeOffset.Parse(issued.Str("valid_to")).ToUnixTimeSeconds());

        var file = Path.Combine(Directory.CreateTempSubdirectory("sched-").FullName, "early.txt");
        await File.WriteAllTextAsync(file, "too early");
        var early = await AzCopy.Copy(file, issued.Str("token"));
        Assert.False(early.Succeeded, early.Output);
        Assert.Contains("403", early.Output);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            new BlobContainerClient(new Uri(issued.Str("token"))).GetBlobClient("early.txt").UploadAsync(BinaryData.FromString("too early")));
        Assert.Equal(403, refused.Status);

        // Move the stored access policy's start into the past (not the clock): the very same token now works.
        var container = UploadTokenLifecycleTests.AdminContainer(issued.Str("inboxid"));
        var policy = (await container.GetAccessPolicyAsync()).Value.SignedIdentifiers.Single();
        Assert.Equal(tomorrow.ToUnixTimeSeconds(), policy.AccessPolicy.PolicyStartsOn!.Value.ToUnixTimeSeconds());
        policy.AccessPolicy.PolicyStartsOn = DateTimeOffset.UtcNow.AddMinutes(-1);
        await container.SetAccessPolicyAsync(permissions: [policy]);
        var onTime = await AzCopy.Copy(file, issued.Str("token"));
        Assert.True(onTime.Succeeded, onTime.Output);
    }
}
