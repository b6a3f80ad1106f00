using Inlet.Tabular.Loading;
using Inlet.Tabular.Metadata;

namespace Inlet.Tabular.LoadTable;

public sealed record TableColumn(string Name, string Type, string? Title, string? Description)
{
    /// <summary>
    /// A loaded column as the catalogue shows it: the metadata's title and description, else its header as description. A
    /// column renamed from a system column's name (<c>xmin</c> → <c>xmin_</c>) also keeps its header as title unless the
    /// metadata gives one, so the name the file used stays beside the one the table has.
    /// </summary>
    public static TableColumn Loaded(string name, string type, string header, FieldDefinition? field, IReadOnlyList<RenamedColumn> renamed) =>
        new(name, type, field?.Title ?? (renamed.Any(r => r.Column == name) ? header : null), field?.Description ?? header);

    /// <summary>A loaded column's COMMENT: the metadata's description, else its title, else the header as the file wrote it.</summary>
    public static string Comment(string header, FieldDefinition? field) => field?.Description ?? field?.Title ?? header;
}

/// <summary>A CSV became a table's content (replace) or was added to it (append).</summary>
/// <param name="Sequence">The workspace database's order of loads: a late event never undoes a newer load in the catalogue.</param>
/// <param name="RenamedColumns">Headers that are PostgreSQL system column names and the columns they became (<c>xmin</c> → <c>xmin_</c>); null when none.</param>
/// <param name="Scan">The malware scan in the load's own read (docs/adr/0037): how long it ran beside the load and how long the
/// commit waited for its verdict; null when the file was scanned before it was staged (or not at all).</param>
public sealed record TableLoaded(
    Guid TableId,
    string Wsid,
    string Table,
    string? Title,
    string? Description,
    IReadOnlyList<TableColumn> Columns,
    long Rows,
    long RowsAdded,
    LoadMode Mode,
    long Sequence,
    string Source,
    Guid Tid,
    Guid UploadId,
    Guid? MetadataUploadId,
    DateTimeOffset At,
    long RowsRejected = 0,
    string? Encoding = null,
    string? Dialect = null,
    IReadOnlyList<RenamedColumn>? RenamedColumns = null,
    LoadScan? Scan = null);

/// <summary>The malware scan a load did in its own read of the file: seconds from its first byte to clamd's verdict, and seconds the
/// load's commit waited for that verdict once everything else was done (the scan's share of the load's time).</summary>
public sealed record LoadScan(double Seconds, double WaitedSeconds);

/// <summary>A CSV could not be loaded; nothing of it reached the table. The reason tells a person what to fix.</summary>
public sealed record TableLoadFailed(Guid TableId, string Wsid, string Table, string Source, Guid Tid, Guid UploadId, Guid? MetadataUploadId, string Reason, DateTimeOffset At);
