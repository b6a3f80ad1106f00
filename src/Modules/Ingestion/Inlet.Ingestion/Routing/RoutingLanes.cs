using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Inlet.Ingestion.Routing;

/// <summary>The routing lane of a blob version: small files never queue behind large ones.</summary>
public enum RoutingLane
{
    Small,
    Large,
}

/// <summary>
/// The one owner of the size-lane rule (issue #16 item 5, docs/adr/0026-routing-lanes.md). A blob of at most
/// <see cref="IngestionOptions.SmallFileMaxBytes"/> is routed in the small-file lane, anything larger in the
/// large-file lane; each lane has its own slots per node (<see cref="IngestionOptions.Parallelism"/>,
/// <see cref="IngestionOptions.LargeFileParallelism"/>), so a few 200 MiB files copying can take every large slot but
/// none of the small ones, and large files never starve because their slots are theirs alone.
/// Both ways a blob is routed go through here: the poller routes inline in a slot of this node's lanes
/// (<see cref="Enter"/>), and pushed blobs are sent to the lane's durable local queue (<see cref="Publish"/>).
/// The lane only schedules: routing is exactly-once per blob version whichever lane or queue runs it.
/// </summary>
public sealed class RoutingLanes
{
    /// <summary>The durable local queue of the small-file lane.</summary>
    public const string SmallQueue = "ingest-small";

    /// <summary>The durable local queue of the large-file lane; also where an IngestBlob published without a lane goes.</summary>
    public const string LargeQueue = "ingest-large";

    /// <summary>
    /// The local queue Wolverine named after the message type before the lanes existed. Still listened to, so that
    /// IngestBlob envelopes persisted there before an upgrade are routed after it; nothing is sent to it any more.
    /// </summary>
    public const string LegacyQueue = "inlet.ingestion.routing.ingestblob";

    private readonly SemaphoreSlim _small;
    private readonly SemaphoreSlim _large;

    public RoutingLanes(IOptions<IngestionOptions> options)
    {
        _small = new SemaphoreSlim(ParallelismOf(RoutingLane.Small, options.Value));
        _large = new SemaphoreSlim(ParallelismOf(RoutingLane.Large, options.Value));
        Options = options.Value;
    }

    private IngestionOptions Options { get; }

    /// <summary>The lane of a blob of <paramref name="size"/> bytes: small up to and including the threshold.</summary>
    public static RoutingLane LaneFor(long size, IngestionOptions options) =>
        size <= options.SmallFileMaxBytes ? RoutingLane.Small : RoutingLane.Large;

    /// <summary>Files of <paramref name="lane"/> routed at once per node (at least one, so a lane is never shut).</summary>
    public static int ParallelismOf(RoutingLane lane, IngestionOptions options) =>
        Math.Max(1, lane == RoutingLane.Small ? options.Parallelism : options.LargeFileParallelism);

    public static string QueueOf(RoutingLane lane) => lane == RoutingLane.Small ? SmallQueue : LargeQueue;

    public static Uri QueueUri(string queue) => new($"local://{queue}");

    /// <summary>A pushed blob, addressed to its lane's durable local queue (a cascading message for the outbox).</summary>
    public static RoutedToEndpointMessage<IngestBlob> Publish(IngestBlob blob, IngestionOptions options) =>
        blob.ToDestination(QueueUri(QueueOf(LaneFor(blob.Size, options))));

    /// <summary>
    /// Declares the lanes' durable local queues with their parallelism, keeps the pre-lane queue listening, and sends an
    /// IngestBlob published without a lane to the large-file lane: whatever bypasses <see cref="Publish"/> can be slow,
    /// but can never take a small file's slot.
    /// </summary>
    public static void Configure(WolverineOptions opts, IConfiguration config)
    {
        var options = config.GetSection("Ingestion").Get<IngestionOptions>() ?? new IngestionOptions();
        opts.LocalQueue(SmallQueue).UseDurableInbox().MaximumParallelMessages(ParallelismOf(RoutingLane.Small, options));
        opts.LocalQueue(LargeQueue).UseDurableInbox().MaximumParallelMessages(ParallelismOf(RoutingLane.Large, options));
        opts.LocalQueue(LegacyQueue).UseDurableInbox().MaximumParallelMessages(ParallelismOf(RoutingLane.Large, options));
        opts.PublishMessage<IngestBlob>().ToLocalQueue(LargeQueue);
    }

    /// <summary>
    /// Waits for a slot of the blob's lane on this node (the poller's inline routing); dispose the result to free it.
    /// Small and large slots are separate, so waiting here is only ever behind files of the same lane.
    /// </summary>
    public async Task<IDisposable> Enter(IngestBlob blob, CancellationToken ct)
    {
        var slots = LaneFor(blob.Size, Options) == RoutingLane.Small ? _small : _large;
        await slots.WaitAsync(ct);
        return new Slot(slots);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _freed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _freed, 1) == 0)
                slots.Release();
        }
    }
}
