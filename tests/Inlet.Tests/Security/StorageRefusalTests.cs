using Azure.Storage.Blobs;

namespace Inlet.Tests.Security;

/// <summary>What storage itself refuses, whatever a token holder tries: Inlet's SAS are bound to one container and one policy.</summary>
public sealed class StorageRefusalTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task A_forged_signature_and_a_token_of_workspace_A_aimed_at_workspace_B_are_refused_by_storage()
    {
        var wsA = InletApp.NewWorkspace("wsa");
        var wsB = InletApp.NewWorkspace("wsb");
        var alice = await app.SignedIn("alice", wsA);
        var bob = await app.SignedIn("bob", wsB);
        var tokenA = new Uri((await alice.Issue(wsA)).Str("token"));
        var issuedB = await bob.Issue(wsB);
        var tokenB = new Uri(issuedB.Str("token"));

        Assert.Equal(201, await StorageProbe.TryUpload(tokenA, "genuine.txt")); // the genuine token works: the refusals below are not an outage

        var signature = tokenA.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("sig="));
        var flipped = signature[..^6] + (signature[^6..] == "AAAAAA" ? "BBBBBB" : "AAAAAA");
        Assert.Equal(403, await StorageProbe.TryUpload(new Uri(tokenA.ToString().Replace(signature, flipped)), "forged.txt"));
        Assert.Equal(403, await StorageProbe.TryUpload(new Uri(tokenA.ToString().Replace("&" + signature, "").Replace(signature + "&", "")), "unsigned.txt"));

        // A's SAS pointed at B's container: the signature covers the container name.
        var crossed = new UriBuilder(tokenA) { Path = tokenB.AbsolutePath };
        Assert.Equal(403, await StorageProbe.TryUpload(crossed.Uri, "cross.txt"));
        // Widening the permissions in the URL (read, list, delete) breaks the signature too.
        Assert.Equal(403, await StorageProbe.TryUpload(new Uri(tokenA.ToString().Replace("si=upload", "si=upload&sp=racwdl")), "widened.txt"));

        var inB = new List<string>();
        await foreach (var blob in new BlobServiceClient(TestServices.Landing).GetBlobContainerClient(issuedB.Str("inboxid")).GetBlobsAsync())
            inB.Add(blob.Name);
        Assert.Empty(inB);
    }
}
