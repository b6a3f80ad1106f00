using Azure.Storage.Blobs;
using Inlet.BuildingBlocks.Storage;
using Inlet.Ingestion.Routing;
using JasperFx.Core;
using Wolverine;
using Wolverine.Tracking;

namespace Inlet.Tests.Ingestion;

/// <summary>
/// Storage spells one blob version's ETag two ways: unquoted in a listing (what the poller sees), quoted in a response header
/// (what Event Grid's properties read sees). The upload id derives from it, so before one spelling was chosen a blob found both
/// ways became two uploads: a second, phantom upload of a file already routed, or the same file routed twice under two names.
/// </summary>
public sealed class BlobVersionIdentityTests(NarrowPushLanesApp app) : IClassFixture<NarrowPushLanesApp>
{
    [Fact]
    public void The_two_spellings_of_one_etag_give_one_upload_id()
    {
        Assert.Equal("0x8D4BCC2E4835CD0", BlobETags.Unquoted("\"0x8D4BCC2E4835CD0\""));
        Assert.Equal("0x8D4BCC2E4835CD0", BlobETags.Unquoted("0x8D4BCC2E4835CD0"));
        Assert.Equal("abc", BlobETags.Unquoted("W/\"abc\""));
        Assert.Equal(RoutingRules.UploadIdFor("c", "n", "0x1"), RoutingRules.UploadIdFor("c", "n", "\"0x1\""));
    }

    [Fact]
    public async Task A_blob_found_by_the_poller_and_pushed_by_Event_Grid_is_one_upload_routed_once()
    {
        var ws = InletApp.NewWorkspace("etag");
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var tid = Guid.Parse(issued.Str("tid"));
        var container = issued.Str("inboxid");
        await new BlobContainerClient(new Uri(issued.Str("token"))).GetBlobClient("both.txt").UploadAsync(BinaryData.FromString("found twice"));

        // The message the poller makes of its listing (the ETag as the listing spells it) ...
        var listed = new List<IngestBlob>();
        await foreach (var item in new BlobServiceClient(TestServices.Landing).GetBlobContainerClient(container).GetBlobsAsync())
            listed.Add(new IngestBlob(tid, container, item.Name, item.Properties.ETag!.Value.ToString(), item.Properties.ContentLength ?? 0,
                null, item.Properties.LastModified, TestServices.LandingAccountName));
        var polled = Assert.Single(listed);
        Assert.DoesNotContain('"', polled.ETag);

        // ... and Event Grid's delivery of the same blob, through the real endpoint (which reads the blob's properties).
        var client = app.Host.Server.CreateClient();
        await app.Host.TrackActivity().Timeout(90.Seconds()).DoNotAssertOnExceptionsDetected()
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async bus =>
            {
                await bus.PublishAsync(polled);
                await EventGrid.Deliver(client, EventGrid.BlobCreated(container, "both.txt"));
            }));

        var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        var upload = Assert.Single(uploads);
        Assert.Equal("routed", upload.Str("status"));
        Assert.Equal("inbox/both.txt", upload.Str("location"));
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).ToList();
        Assert.Equal(["inbox/both.txt"], inbox);
    }
}
