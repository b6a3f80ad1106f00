namespace Inlet.Ingestion;

/// <summary>Configuration section <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>How often a container with fresh activity is listed.</summary>
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How rarely a long-idle container is listed.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Container listings per second the cluster may make at most (0: no cap): each node takes the part of the shares of
    /// containers it holds (docs/adr/0025-one-poller-per-container.md), so more nodes do not list more. Within it
    /// active containers and young tokens come first; see docs/adr/0022-detection-at-scale.md for the trade-off with
    /// MaxPollInterval.
    /// </summary>
    public int MaxListsPerSecond { get; set; } = 30;

    /// <summary>
    /// True when an Event Grid subscription delivers BlobCreated to <c>/api/ingestion/eventgrid</c>: events then drive
    /// detection and polling is only a safety net that lists each open container every SafetyNetPollInterval
    /// (docs/adr/0022-detection-at-scale.md). Closing tokens are still swept at MinPollInterval.
    /// </summary>
    public bool PushDetection { get; set; }

    /// <summary>
    /// Whether events drive detection: PushDetection asked for and an EventGridKey to authenticate them with. Without a key
    /// the endpoint refuses every delivery, so the poller keeps its adaptive pace rather than wait for events that cannot come.
    /// </summary>
    public bool PushDetectionOn => PushDetection && !string.IsNullOrEmpty(EventGridKey);

    /// <summary>With PushDetection, how often each open container is still listed, to find blobs whose event was lost;
    /// each interval varies by ±10 % so containers do not fall into step.</summary>
    public TimeSpan SafetyNetPollInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Small files (at most SmallFileMaxBytes) routed at once per node: the small-file lane's slots
    /// (<see cref="Routing.RoutingLanes"/>, docs/adr/0026-routing-lanes.md). 32 rather than the 8 of one shared pool: a
    /// small file's routing is mostly waiting (commits, storage round trips), so its throughput grows with the slots;
    /// measured on the bench, 8 → 32 took the small files' lag p50 from 159 s to 7.4 s on a loaded machine.
    /// </summary>
    public int Parallelism { get; set; } = 32;

    /// <summary>Files larger than SmallFileMaxBytes routed at once per node: the large-file lane's own slots, beside the small ones.</summary>
    public int LargeFileParallelism { get; set; } = 2;

    /// <summary>
    /// The largest file routed in the small-file lane (8 MiB, the size up to which a person waits for a file to appear
    /// rather than for a transfer); larger files take the large-file lane, so they never hold back small ones.
    /// </summary>
    public long SmallFileMaxBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>After a token closes, how long to keep sweeping before its container is deleted.</summary>
    public TimeSpan FinalSweepGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Shared secret Event Grid must send as <c>?key=</c>; empty refuses every delivery (401) and leaves detection to polling.</summary>
    public string EventGridKey { get; set; } = "";

    /// <summary>Section <c>Ingestion:Retention</c>: how long what no one needs any more is kept.</summary>
    public IngestionRetentionOptions Retention { get; set; } = new();
}

/// <summary>Configuration section <c>Ingestion:Retention</c> (docs/adr/0014-retention.md).</summary>
public sealed class IngestionRetentionOptions
{
    /// <summary>
    /// How long the bytes of a rejected upload (quarantined, refused by the database, turned away on review)
    /// are kept after the rejection; then they are deleted and the upload's record says so. Zero keeps them forever.
    /// </summary>
    public TimeSpan RejectedUploads { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long a database token's staged files stay after its container was finally swept, so that a reload
    /// started or queued by late metadata still reads its CSV: longer than a load may take (4 h). Zero keeps them forever.
    /// </summary>
    public TimeSpan StagedFiles { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often each node looks for what is due; the work is idempotent, so nodes may overlap.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);
}
