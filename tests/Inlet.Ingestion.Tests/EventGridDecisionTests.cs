using System.Text.Json;
using Azure;
using Inlet.Ingestion.Detection;
using Inlet.Ingestion.Routing;
using Wolverine;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>Push detection's decisions called directly: what a delivery asks for, and the messages routed for it.</summary>
public sealed class EventGridDecisionTests
{
    private static DeliveredEvent Created(string container, string blob) =>
        new(EventGridDecisions.BlobCreated, $"/blobServices/default/containers/{container}/blobs/{blob}", default);

    private static DeliveredEvent Validation(string code) =>
        new(EventGridDecisions.SubscriptionValidation, null, JsonDocument.Parse($$"""{"validationCode":"{{code}}"}""").RootElement.Clone());

    [Fact]
    public void A_delivery_asks_for_its_created_blobs_in_order_duplicates_included()
    {
        var asked = EventGridDecisions.Read([Created("upload-a", "b.txt"), Created("upload-a", "dir/a.csv"), Created("upload-a", "b.txt")]);

        Assert.Null(asked.ValidationCode);
        Assert.Equal([new CreatedBlob("upload-a", "b.txt"), new CreatedBlob("upload-a", "dir/a.csv"), new CreatedBlob("upload-a", "b.txt")], asked.Created);
    }

    [Fact]
    public void Other_event_types_and_subjects_that_name_no_blob_are_ignored()
    {
        var asked = EventGridDecisions.Read([
            new DeliveredEvent("Microsoft.Storage.BlobDeleted", "/blobServices/default/containers/upload-a/blobs/x.txt", default),
            new DeliveredEvent(EventGridDecisions.BlobCreated, null, default),
            new DeliveredEvent(EventGridDecisions.BlobCreated, "/blobServices/default/containers/upload-a", default),
            new DeliveredEvent(EventGridDecisions.BlobCreated, "/blobServices/default/containers//blobs/x.txt", default),
            new DeliveredEvent(EventGridDecisions.BlobCreated, "/other/containers/upload-a/blobs/x.txt", default),
            Created("upload-a", "kept.txt"),
        ]);

        Assert.Equal([new CreatedBlob("upload-a", "kept.txt")], asked.Created);
    }

    [Fact]
    public void A_validation_event_is_answered_with_its_code_and_what_follows_it_is_not_read()
    {
        var asked = EventGridDecisions.Read([Created("upload-a", "before.txt"), Validation("c0de"), Created("upload-a", "after.txt")]);

        Assert.Equal("c0de", asked.ValidationCode);
        Assert.Equal([new CreatedBlob("upload-a", "before.txt")], asked.Created);
    }

    [Fact]
    public void A_validation_event_without_a_code_is_not_a_handshake()
    {
        var asked = EventGridDecisions.Read([new DeliveredEvent(EventGridDecisions.SubscriptionValidation, null, default), Created("upload-a", "a.txt")]);

        Assert.Null(asked.ValidationCode);
        Assert.Single(asked.Created);
    }

    [Theory]
    [InlineData("/blobServices/default/containers/upload-1/blobs/a.txt", "upload-1", "a.txt")]
    [InlineData("/blobServices/default/containers/upload-1/blobs/deep/er/a b.csv", "upload-1", "deep/er/a b.csv")]
    [InlineData("/blobServices/default/containers/upload-1/blobs/x/blobs/y", "upload-1", "x/blobs/y")]
    public void A_subject_names_its_container_and_the_whole_blob_name(string subject, string container, string blob) =>
        Assert.Equal(new CreatedBlob(container, blob), EventGridDecisions.Subject(subject));

    [Fact]
    public void Each_blob_found_is_routed_by_storages_properties_in_its_size_lane()
    {
        var tid = Guid.NewGuid();
        var committed = new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
        byte[] md5 = [1, 2, 3, 4];
        var options = new IngestionOptions { SmallFileMaxBytes = 100 };

        var messages = EventGridDecisions.Ingest([
            new FoundBlob(tid, "upload-a", "a.txt", new ETag("\"0x1\""), 42, md5, committed),
            new FoundBlob(tid, "upload-a", "b.txt", new ETag("\"0x2\""), 0, null, committed),
            new FoundBlob(tid, "upload-a", "big.bin", new ETag("\"0x3\""), 101, null, committed),
        ], options);

        var routed = messages.Cast<RoutedToEndpointMessage<IngestBlob>>().ToList();
        // As a listing spells the ETag (BlobETags): the poller and Event Grid give one blob version one upload id.
        Assert.Equal([
            new IngestBlob(tid, "upload-a", "a.txt", "0x1", 42, Convert.ToBase64String(md5), committed),
            new IngestBlob(tid, "upload-a", "b.txt", "0x2", 0, null, committed),
            new IngestBlob(tid, "upload-a", "big.bin", "0x3", 101, null, committed),
        ], routed.Select(r => r.Message));
        Assert.Equal([RoutingLanes.QueueUri(RoutingLanes.SmallQueue), RoutingLanes.QueueUri(RoutingLanes.SmallQueue), RoutingLanes.QueueUri(RoutingLanes.LargeQueue)],
            routed.Select(r => r.Destination));
    }

    [Fact]
    public void Nothing_found_sends_nothing() => Assert.Empty(EventGridDecisions.Ingest([], new IngestionOptions()));
}
