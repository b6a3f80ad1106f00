using Inlet.Tabular.Metadata;

namespace Inlet.Tabular.LoadTable;

public sealed record TableColumn(string Name, string Type, string? Title, string? Description);

/// <summary>A CSV became a table's content (replace) or was added to it (append).</summary>
/// <param name="Sequence">The workspace database's order of loads: a late event never undoes a newer load in the catalogue.</param>
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
    string? Dialect = null);

/// <summary>A CSV could not be loaded; nothing of it reached the table. The reason tells a person what to fix.</summary>
public sealed record TableLoadFailed(Guid TableId, string Wsid, string Table, string Source, Guid Tid, Guid UploadId, Guid? MetadataUploadId, string Reason, DateTimeOffset At);
