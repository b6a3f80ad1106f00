namespace Inlet.Tabular.Contracts;

/// <summary>
/// The database took a staged file: a CSV is now table <paramref name="Table"/>'s content, or a
/// metadata file describes the tables named. Sent again if a later metadata file reloads the CSV.
/// </summary>
/// <param name="Tables">The tables the file fed or describes (one for a CSV).</param>
/// <param name="RowsLoaded">For a CSV: the rows that reached the table.</param>
/// <param name="RowsRejected">For a CSV: its rows that were not loaded, each listed with line and reason at the table's rejects.</param>
/// <param name="Note">How the file was read when a person should know (detected dialect, an encoding other than UTF-8).</param>
public sealed record DatabaseFileLoaded(Guid UploadId, string Wsid, IReadOnlyList<string> Tables, DateTimeOffset At,
    long? RowsLoaded = null, long? RowsRejected = null, string? Note = null);

/// <summary>The database refused a staged file; <paramref name="Reason"/> tells a person what to fix. Nothing of it was loaded.</summary>
public sealed record DatabaseFileRefused(Guid UploadId, string Wsid, string Reason, DateTimeOffset At);

/// <summary>
/// How far a running load of a staged CSV has come, sent every few seconds while it runs (never after it
/// ended), so that the upload record can show it. Only the newest one matters; a lost one changes nothing.
/// </summary>
/// <param name="Phase">"reading" (storage to a local spool, types inferred) or "loading" (rows into the table).</param>
/// <param name="BytesDone">Bytes of the file this phase has passed.</param>
/// <param name="BytesTotal">The file's size.</param>
/// <param name="RowsLoaded">Rows written to the table so far.</param>
public sealed record DatabaseFileLoadProgressed(Guid UploadId, string Wsid, string Phase, long BytesDone, long BytesTotal, long RowsLoaded, DateTimeOffset At);
