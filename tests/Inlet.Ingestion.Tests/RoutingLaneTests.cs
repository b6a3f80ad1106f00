using Inlet.Ingestion.Routing;
using Microsoft.Extensions.Options;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>The size-lane rule called directly (docs/adr/0026-routing-lanes.md): which lane, how many slots, and that a lane's slots are its own.</summary>
public sealed class RoutingLaneTests
{
    private static IngestBlob Blob(long size) => new(Guid.NewGuid(), "upload-a", $"f{size}.bin", "\"0x1\"", size, null);

    [Theory]
    [InlineData(0, RoutingLane.Small)]
    [InlineData(4096, RoutingLane.Small)]
    [InlineData(8 * 1024 * 1024, RoutingLane.Small)] // the bench's "small" bound is inclusive
    [InlineData(8 * 1024 * 1024 + 1, RoutingLane.Large)]
    [InlineData(200L * 1024 * 1024, RoutingLane.Large)]
    public void Files_up_to_8_MiB_are_small_by_default_and_larger_ones_large(long size, RoutingLane lane) =>
        Assert.Equal(lane, RoutingLanes.LaneFor(size, new IngestionOptions()));

    [Fact]
    public void The_threshold_is_configurable()
    {
        var options = new IngestionOptions { SmallFileMaxBytes = 1000 };
        Assert.Equal(RoutingLane.Small, RoutingLanes.LaneFor(1000, options));
        Assert.Equal(RoutingLane.Large, RoutingLanes.LaneFor(1001, options));
    }

    [Fact]
    public void Each_lane_has_its_own_parallelism_and_never_none()
    {
        var defaults = new IngestionOptions();
        Assert.Equal(32, RoutingLanes.ParallelismOf(RoutingLane.Small, defaults));
        Assert.Equal(2, RoutingLanes.ParallelismOf(RoutingLane.Large, defaults));
        var shut = new IngestionOptions { Parallelism = 0, LargeFileParallelism = -1 };
        Assert.Equal(1, RoutingLanes.ParallelismOf(RoutingLane.Small, shut));
        Assert.Equal(1, RoutingLanes.ParallelismOf(RoutingLane.Large, shut));
    }

    [Fact]
    public void Each_lane_has_its_own_queue()
    {
        Assert.Equal(RoutingLanes.SmallQueue, RoutingLanes.QueueOf(RoutingLane.Small));
        Assert.Equal(RoutingLanes.LargeQueue, RoutingLanes.QueueOf(RoutingLane.Large));
        Assert.NotEqual(RoutingLanes.SmallQueue, RoutingLanes.LargeQueue);
        // The queue of the message type before the lanes existed stays apart from both (envelopes persisted there are drained).
        Assert.DoesNotContain(RoutingLanes.LegacyQueue, new[] { RoutingLanes.SmallQueue, RoutingLanes.LargeQueue });
        Assert.Equal(RoutingLanes.LegacyQueue, typeof(IngestBlob).FullName!.ToLowerInvariant());
    }

    [Fact]
    public void A_pushed_blob_is_addressed_to_its_lanes_queue()
    {
        var options = new IngestionOptions { SmallFileMaxBytes = 10 };
        Assert.Equal(RoutingLanes.QueueUri(RoutingLanes.SmallQueue), RoutingLanes.Publish(Blob(10), options).Destination);
        Assert.Equal(RoutingLanes.QueueUri(RoutingLanes.LargeQueue), RoutingLanes.Publish(Blob(11), options).Destination);
    }

    [Fact]
    public async Task Large_files_holding_every_large_slot_leave_the_small_slots_free()
    {
        var lanes = new RoutingLanes(Options.Create(new IngestionOptions { Parallelism = 2, LargeFileParallelism = 1, SmallFileMaxBytes = 10 }));
        var large = await lanes.Enter(Blob(11), CancellationToken.None);
        var secondLarge = lanes.Enter(Blob(12), CancellationToken.None);
        Assert.False(secondLarge.IsCompleted); // waits behind the first large file…

        // …while small files get both small slots at once.
        var small1 = lanes.Enter(Blob(1), CancellationToken.None);
        var small2 = lanes.Enter(Blob(2), CancellationToken.None);
        Assert.True(small1.IsCompletedSuccessfully);
        Assert.True(small2.IsCompletedSuccessfully);
        var small3 = lanes.Enter(Blob(3), CancellationToken.None);
        Assert.False(small3.IsCompleted); // small files queue only behind small files
        (await small1).Dispose();
        (await small3).Dispose();

        // A large file is never starved by small ones: its slot frees when the large one before it is done.
        large.Dispose();
        large.Dispose(); // freeing twice frees once
        (await secondLarge.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        var third = lanes.Enter(Blob(13), CancellationToken.None);
        Assert.True(third.IsCompletedSuccessfully);
        Assert.False(lanes.Enter(Blob(14), CancellationToken.None).IsCompleted); // still one large slot, not two
    }
}
