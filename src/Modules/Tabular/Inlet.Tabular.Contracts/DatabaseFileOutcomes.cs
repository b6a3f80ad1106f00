namespace Inlet.Tabular.Contracts;

/// <summary>
/// The database took a staged file: a CSV is now table <paramref name="Table"/>'s content, or a
/// metadata file describes the tables named. Sent again if a later metadata file reloads the CSV.
/// </summary>
/// <param name="Tables">The tables the file fed or describes (one for a CSV).</param>
/// <param name="RowsLoaded">For a CSV: the rows that reached the table.</param>
/// <param name="RowsRejected">For a CSV: its rows that were not loaded, each listed with line and reason at the table's rejects.</param>
/// <param name="Note">How the file was read when a person should know (detected dialect, an encoding other than UTF-8).</param>
/// <param name="Scanned">The load's own read was scanned for malware and clamd found the whole file clean, before the load
/// committed (asked for by <c>DatabaseFileStaged.Scan</c>, docs/adr/0037).</param>
public sealed record DatabaseFileLoaded(Guid UploadId, string Wsid, IReadOnlyList<string> Tables, DateTimeOffset At,
    long? RowsLoaded = null, long? RowsRejected = null, string? Note = null, bool Scanned = false);

/// <summary>The database refused a staged file; <paramref name="Reason"/> tells a person what to fix. Nothing of it was loaded.</summary>
/// <param name="Scanned">The load read the whole file and clamd found it clean; false when the refusal came before the end of
/// the file (or without reading it): then the file has no verdict yet, and must be scanned before it goes anywhere readable.</param>
public sealed record DatabaseFileRefused(Guid UploadId, string Wsid, string Reason, DateTimeOffset At, bool Scanned = false);

/// <summary>
/// The malware scan in the load's own read matched <paramref name="Signature"/>: the load rolled back (nothing of the file is
/// in any table, a table it would have replaced or appended to is as it was), and the file will never be loaded.
/// </summary>
public sealed record DatabaseFileBlocked(Guid UploadId, string Wsid, string Signature, DateTimeOffset At);

/// <summary>
/// How far a running load of a staged CSV has come, sent every few seconds while it runs (never after it
/// ended), so that the upload record can show it. Only the newest one matters; a lost one changes nothing.
/// </summary>
/// <param name="Phase">"reading" (storage to a local spool, types inferred), "loading" (rows into the table) or "scanning" (all
/// loaded; the commit waits for the malware scan's verdict).</param>
/// <param name="BytesDone">Bytes of the file this phase has passed.</param>
/// <param name="BytesTotal">The file's size.</param>
/// <param name="RowsLoaded">Rows written to the table so far.</param>
public sealed record DatabaseFileLoadProgressed(Guid UploadId, string Wsid, string Phase, long BytesDone, long BytesTotal, long RowsLoaded, DateTimeOffset At);
