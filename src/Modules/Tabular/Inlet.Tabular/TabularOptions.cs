namespace Inlet.Tabular;

/// <summary>Configuration section <c>Tabular</c>.</summary>
public sealed class TabularOptions
{
    /// <summary>
    /// How long a CSV without metadata waits for its metadata file before it is loaded with inferred
    /// types, counted from the CSV's detection. AzCopy sends files in any order; metadata arriving later
    /// still reloads the CSV.
    /// </summary>
    public TimeSpan MetadataGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a CSV waits at most for metadata files that were delivered with it but are not routed yet
    /// (a large upload routes for a while); it is checked again every <see cref="MetadataGrace"/>.
    /// </summary>
    public TimeSpan MetadataWaitLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Values that mean "no value" (NULL) in a CSV without metadata; a Table Schema's <c>missingValues</c> replaces them.</summary>
    public List<string> MissingValues { get; set; } = [""];

    /// <summary>
    /// Loads one node runs at once. Each holds a database connection and two threads for its whole length, so
    /// a delivery of hundreds of CSVs queues here instead of opening hundreds of connections (a managed
    /// PostgreSQL allows a few dozen to a few hundred).
    /// </summary>
    public int MaxConcurrentLoads { get; set; } = 4;

    /// <summary>
    /// A CSV without metadata at least this large starts loading at once instead of waiting out the grace: reading it takes
    /// longer than the grace anyway, and the load waits for what is left of it only before it commits (metadata found then
    /// supersedes it: nothing commits and the load runs again with the metadata). Smaller files wait as a scheduled
    /// message, holding no load slot.
    /// </summary>
    public long StartDuringGraceBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>How often a running load tells the upload record how far it has come.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);
}
