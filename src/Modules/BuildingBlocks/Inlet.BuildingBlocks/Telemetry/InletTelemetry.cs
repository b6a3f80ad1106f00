using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Inlet.BuildingBlocks.Telemetry;

/// <summary>
/// Inlet's own spans and their tag names (docs/adr/0013). Tags carry ids, names and sizes, never a SAS,
/// a key or a bearer token: whatever is put here is exported as it is.
/// </summary>
public static class InletTelemetry
{
    /// <summary>The ActivitySource and Meter name.</summary>
    public const string Name = "Inlet";

    public static readonly ActivitySource Source = new(Name);

    public const string TokenId = "inlet.token.id";
    public const string UploadId = "inlet.upload.id";
    public const string Container = "inlet.container";
    public const string BlobName = "inlet.blob.name";
    public const string BlobSize = "inlet.blob.size";
    public const string DetectedBy = "inlet.detected_by";
    public const string RoutedTo = "inlet.routed_to";
    public const string Outcome = "inlet.outcome";
    public const string Table = "inlet.table";
    public const string Rows = "inlet.rows";
    public const string Mode = "inlet.mode";
    public const string Stage = "inlet.stage";
    public const string Destination = "inlet.destination";

    /// <summary>
    /// A span that begins a trace of its own, whatever is ambient: a background loop's context would
    /// otherwise make every blob it ever finds one endless trace.
    /// </summary>
    public static Activity? StartRoot(string name, DateTimeOffset startTime = default)
    {
        var ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            return Source.StartActivity(name, ActivityKind.Internal, parentContext: default, startTime: startTime);
        }
        finally
        {
            // The new span (if any) became Current; the caller disposes it, which restores null, not `ambient`.
            if (Activity.Current is null)
                Activity.Current = ambient;
        }
    }

    /// <summary>Marks the span failed, with the exception's type only: messages may quote file contents.</summary>
    public static void Failed(this Activity? activity, Exception error)
    {
        if (activity is null)
            return;
        activity.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
        activity.SetTag("error.type", error.GetType().FullName);
    }
}

/// <summary>
/// Inlet's business metrics, on a Meter from the Host's IMeterFactory so that each Host (and each test
/// host in one process) has its own. Tags stay low-cardinality: no token, workspace or file names.
/// </summary>
public sealed class InletMetrics
{
    private long _activeTokens;

    public InletMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(InletTelemetry.Name);
        TokensIssued = meter.CreateCounter<long>("inlet.tokens.issued", "{token}", "Upload tokens issued.");
        meter.CreateObservableGauge("inlet.tokens.active", () => Interlocked.Read(ref _activeTokens), "{token}",
            "Tokens valid now (started, not expired, not revoked), as this node's poller last read them; every node reports the same value.");
        FilesIngested = meter.CreateCounter<long>("inlet.files.ingested", "{file}", "Files routed into a workspace (Inbox, folder or database staging).");
        BytesIngested = meter.CreateCounter<long>("inlet.bytes.ingested", "By", "Bytes of the files routed into a workspace.");
        RoutingLag = meter.CreateHistogram<double>("inlet.routing.lag", "s", "From the blob's commit (last-modified) in the token container to its routing outcome being recorded.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600] });
        TablesLoaded = meter.CreateCounter<long>("inlet.tables.loaded", "{table}", "CSV files loaded into workspace tables.");
        UploadsRejected = meter.CreateCounter<long>("inlet.uploads.rejected", "{file}",
            "Files refused: quarantined by routing (stage=routing) or refused by the database (stage=database).");
    }

    public Counter<long> TokensIssued { get; }
    public Counter<long> FilesIngested { get; }
    public Counter<long> BytesIngested { get; }
    public Histogram<double> RoutingLag { get; }
    public Counter<long> TablesLoaded { get; }
    public Counter<long> UploadsRejected { get; }

    public void SetActiveTokens(long count) => Interlocked.Exchange(ref _activeTokens, count);
}
