namespace Inlet.Bench;

/// <summary>How big each scenario is: the figures, or a small version that only proves the bench works.</summary>
public sealed record BenchSize(
    bool Quick,
    long CsvBytes,
    int TreeSmallFiles,
    int TreeLargeFiles,
    long TreeLargeFileBytes,
    int TokensIssued,
    int IdleTokens,
    TimeSpan IdleWindow,
    int AuditTokens,
    int AuditUsedEvents,
    int AuditBusyTokenEvents,
    int AuditSamples)
{
    public const int Concurrency = 16;

    public static readonly BenchSize Full = new(false, 1_000_000_000, 1000, 4, 200L << 20, 1000, 10_000, TimeSpan.FromSeconds(60), 100_000, 1_000_000, 1000, 100);

    public static readonly BenchSize Small = new(true, 10_000_000, 50, 2, 4L << 20, 100, 500, TimeSpan.FromSeconds(10), 2000, 20_000, 100, 20);

    /// <summary>Waits for the system under test scale with the data, but are bounded so a stuck run ends.</summary>
    public TimeSpan LongWait => Quick ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(20);
}
