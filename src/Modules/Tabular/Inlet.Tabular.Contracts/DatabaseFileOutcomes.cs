namespace Inlet.Tabular.Contracts;

/// <summary>
/// The database took a staged file: a CSV is now table <paramref name="Table"/>'s content, or a
/// metadata file describes the tables named. Sent again if a later metadata file reloads the CSV.
/// </summary>
/// <param name="Tables">The tables the file fed or describes (one for a CSV).</param>
public sealed record DatabaseFileLoaded(Guid UploadId, string Wsid, IReadOnlyList<string> Tables, DateTimeOffset At);

/// <summary>The database refused a staged file; <paramref name="Reason"/> tells a person what to fix. Nothing of it was loaded.</summary>
public sealed record DatabaseFileRefused(Guid UploadId, string Wsid, string Reason, DateTimeOffset At);
