using Azure.Storage.Blobs;
using Inlet.Ingestion.Routing;
using JasperFx.Core;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace Inlet.Tests.Ingestion;

/// <summary>
/// Narrow lanes, so that a few large files fill theirs: one large-file slot and two small-file slots per node, and
/// anything over 1 MiB is large. Before the lanes, the two slots were shared, and large files committed first took both.
/// </summary>
public sealed class NarrowLanesApp : InletApp
{
    public const int SmallMax = 1 << 20;

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ingestion:Parallelism", "2");
        builder.UseSetting("Ingestion:LargeFileParallelism", "1");
        builder.UseSetting("Ingestion:SmallFileMaxBytes", SmallMax.ToString());
    }
}

/// <summary>The same lanes with push detection only (the safety net an hour away): only the queued messages route.</summary>
public sealed class NarrowPushLanesApp : InletApp
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ingestion:Parallelism", "2");
        builder.UseSetting("Ingestion:LargeFileParallelism", "1");
        builder.UseSetting("Ingestion:SmallFileMaxBytes", NarrowLanesApp.SmallMax.ToString());
        builder.UseSetting("Ingestion:PushDetection", "true");
        builder.UseSetting("Ingestion:SafetyNetPollInterval", "01:00:00");
    }
}

/// <summary>Small files first (issue #16 item 5, docs/adr/0026-routing-lanes.md): the poller's lanes.</summary>
public sealed class PolledRoutingLaneTests(NarrowLanesApp app) : IClassFixture<NarrowLanesApp>
{
    [Fact]
    public async Task Small_files_committed_after_large_ones_are_routed_while_the_large_ones_are_still_in_flight()
    {
        var ws = InletApp.NewWorkspace("lanes");
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var tid = Guid.Parse(issued.Str("tid"));
        var withSas = new BlobContainerClient(new Uri(issued.Str("token")));

        // Four large files, each many times the small bound, committed first; with one large slot they are routed one by one.
        var random = new Random(16);
        var large = Enumerable.Range(0, 4).Select(i => $"large-{i}.bin").ToList();
        await Task.WhenAll(large.Select(async name =>
        {
            var bytes = new byte[16 << 20];
            random.NextBytes(bytes);
            await withSas.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(bytes));
        }));
        // Then ten small ones. Sharing two slots with the large files (as before the lanes), they would wait until three
        // of the four large files had been routed.
        var small = Enumerable.Range(0, 10).Select(i => $"small-{i}.txt").ToList();
        await Task.WhenAll(small.Select(name => withSas.GetBlobClient(name).UploadAsync(BinaryData.FromString(new string('s', 1000) + name))));

        List<UploadRecord> records = [];
        await TokenApi.Eventually(async () =>
        {
            await using var query = app.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
            records = [.. await query.Query<UploadRecord>().Where(r => r.Tid == tid).ToListAsync()];
            return records.Count(r => r.RoutedAt is not null) == large.Count + small.Count;
        }, 300, "all 14 files routed");

        var routedAt = records.ToDictionary(r => r.Name, r => r.RoutedAt!.Value);
        var lastSmall = small.Max(n => routedAt[n]);
        var largeBefore = large.Count(n => routedAt[n] < lastSmall);
        var order = string.Join(", ", routedAt.OrderBy(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:HH:mm:ss.fff}"));
        Assert.True(largeBefore <= 2, $"{largeBefore} of the 4 large files were routed before the last small file: {order}");
        // Each once, in the Inbox, under its own name.
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order().ToList();
        Assert.Equal(large.Concat(small).Select(n => $"inbox/{n}").Order().ToList(), inbox);
    }
}

/// <summary>The lanes' durable local queues: where pushed blobs go, and that a blob in several queues is routed once.</summary>
public sealed class QueuedRoutingLaneTests(NarrowPushLanesApp app) : IClassFixture<NarrowPushLanesApp>
{
    private static string Queue(Envelope envelope) => envelope.Destination!.Host;

    [Fact]
    public async Task Pushed_blobs_are_routed_in_their_size_lanes_queue()
    {
        var ws = InletApp.NewWorkspace("lanes");
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var container = issued.Str("inboxid");
        var withSas = new BlobContainerClient(new Uri(issued.Str("token")));
        await withSas.GetBlobClient("small.txt").UploadAsync(BinaryData.FromString("small"));
        await withSas.GetBlobClient("large.bin").UploadAsync(BinaryData.FromBytes(new byte[NarrowLanesApp.SmallMax + 1]));
        var client = app.Host.Server.CreateClient();

        var session = await app.Host.TrackActivity().Timeout(60.Seconds()).DoNotAssertOnExceptionsDetected()
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ => EventGrid.Deliver(client,
                EventGrid.BlobCreated(container, "small.txt"), EventGrid.BlobCreated(container, "large.bin"))));

        var lanes = session.Executed.Envelopes().Where(e => e.Message is IngestBlob)
            .ToDictionary(e => ((IngestBlob)e.Message!).BlobName, Queue);
        Assert.Equal(RoutingLanes.SmallQueue, lanes["small.txt"]);
        Assert.Equal(RoutingLanes.LargeQueue, lanes["large.bin"]);
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order().ToList();
        Assert.Equal(["inbox/large.bin", "inbox/small.txt"], inbox);
    }

    [Fact]
    public async Task One_blob_in_both_lanes_the_pre_lane_queue_and_published_without_a_lane_is_routed_once()
    {
        var ws = InletApp.NewWorkspace("lanes");
        var alice = await app.SignedIn("alice", ws);
        var tid = Guid.Parse((await alice.Issue(ws)).Str("tid"));
        // A container no poller lists, so that only the four messages below can route the blob.
        var container = new BlobServiceClient(TestServices.Storage).GetBlobContainerClient($"lanes-{Guid.NewGuid():N}");
        await container.CreateAsync();
        var source = container.GetBlobClient("twice.txt");
        await source.UploadAsync(BinaryData.FromString("routed once"));
        var properties = (await source.GetPropertiesAsync()).Value;
        var blob = new IngestBlob(tid, container.Name, "twice.txt", properties.ETag.ToString(), properties.ContentLength, null, properties.LastModified);

        // The same blob version in the small lane, the large lane, the queue IngestBlob used before the lanes (as an
        // envelope persisted there before an upgrade would be), and published without naming a lane.
        var session = await app.Host.TrackActivity().Timeout(90.Seconds()).DoNotAssertOnExceptionsDetected()
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async bus =>
            {
                await bus.EndpointFor(RoutingLanes.QueueUri(RoutingLanes.SmallQueue)).SendAsync(blob);
                await bus.EndpointFor(RoutingLanes.QueueUri(RoutingLanes.LargeQueue)).SendAsync(blob);
                await bus.EndpointFor(RoutingLanes.QueueUri(RoutingLanes.LegacyQueue)).SendAsync(blob);
                await bus.PublishAsync(blob);
            }));

        // Each queue listens and handled it: the pre-lane one drains, and a message that names no lane takes the large one.
        // (An attempt that loses the race to a copy just finished, and finds the source gone, is retried: counted by queue.)
        var handledIn = session.Executed.Envelopes().Where(e => e.Message is IngestBlob).GroupBy(Queue).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new[] { RoutingLanes.LargeQueue, RoutingLanes.LegacyQueue, RoutingLanes.SmallQueue }.Order(), handledIn.Keys.Order());
        Assert.True(handledIn[RoutingLanes.LargeQueue] >= 2, "the message sent to the large lane and the one published without a lane");

        var uploadId = RoutingRules.UploadIdFor(container.Name, "twice.txt", blob.ETag);
        await using var query = app.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await query.Events.FetchStreamAsync(uploadId);
        // Scanning is on (docs/adr/0023-malware-scanning.md): the one clean verdict is recorded with the one outcome.
        Assert.Equal(["upload_received", "upload_scanned", "upload_routed"], events.Select(e => e.EventTypeName));
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).ToList();
        Assert.Equal(["inbox/twice.txt"], inbox);
        Assert.False((await source.ExistsAsync()).Value); // the source is removed once routed
    }
}
