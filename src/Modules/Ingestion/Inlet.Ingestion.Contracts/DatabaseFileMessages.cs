namespace Inlet.Ingestion.Contracts;

/// <summary>
/// A file that a database token delivered (a CSV or its metadata) is staged, byte for byte, in the
/// workspace's storage for the database to take. Ingestion waits for <c>DatabaseFileLoaded</c> or
/// <c>DatabaseFileRefused</c> (Tabular's contracts) before the upload counts as routed.
/// </summary>
/// <param name="Name">The uploaded relative path, e.g. <c>site-a/visits.csv</c>.</param>
/// <param name="StagedContainer">The blob container holding the staged copy.</param>
/// <param name="StagedPath">The staged copy's blob name; it stays until Ingestion hears the outcome.</param>
/// <param name="AwaitedMetadata">For a CSV: metadata files that could describe it and had been delivered, but not yet
/// staged, when it was (uploaded names). The database waits for them before it infers types.</param>
/// <param name="Md5">The Content-MD5 the uploader stored (base64), or null: the database checks it on its own read of
/// the file, so the bytes are read once, not once to check and again to load.</param>
/// <param name="BadRows">The token's setting for rows that cannot be loaded: "report", "refuse", or null for the default.</param>
/// <param name="DetectedAt">When Inlet first saw the file (its upload record's receipt, on the Host's own clock, never
/// storage's): the database's wait for late metadata counts from then, so the time staging took is not waited again.</param>
/// <param name="Scan">The file was not scanned for malware before it was staged: the database's own read of it scans it, and
/// its load commits only after clamd's clean verdict (docs/adr/0037). The answer says so (<c>DatabaseFileLoaded.Scanned</c>),
/// or that it was blocked (<c>DatabaseFileBlocked</c>).</param>
public sealed record DatabaseFileStaged(
    Guid UploadId,
    Guid Tid,
    string Wsid,
    string Name,
    string StagedContainer,
    string StagedPath,
    long Size,
    DateTimeOffset At,
    IReadOnlyList<string>? AwaitedMetadata = null,
    string? Md5 = null,
    string? BadRows = null,
    DateTimeOffset? DetectedAt = null,
    bool Scan = false);
