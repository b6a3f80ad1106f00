namespace Inlet.Ingestion;

/// <summary>Configuration section <c>Ingestion</c>.</summary>
public sealed class IngestionOptions
{
    /// <summary>How often a container with fresh activity is listed.</summary>
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How rarely a long-idle container is listed.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Files routed at once per node.</summary>
    public int Parallelism { get; set; } = 8;

    /// <summary>After a token closes, how long to keep sweeping before its container is deleted.</summary>
    public TimeSpan FinalSweepGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Shared secret Event Grid must send as <c>?key=</c>; empty disables the endpoint outside Development.</summary>
    public string EventGridKey { get; set; } = "";
}
