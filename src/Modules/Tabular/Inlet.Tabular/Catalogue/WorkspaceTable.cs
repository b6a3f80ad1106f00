using System.Security.Cryptography;
using System.Text;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.Metadata;
using Marten.Events.Aggregation;

namespace Inlet.Tabular.Catalogue;

/// <summary>One table of a workspace's database, as the catalogue shows it.</summary>
public sealed class WorkspaceTable
{
    public Guid Id { get; set; }
    public string Wsid { get; set; } = "";
    public string Name { get; set; } = "";
    public bool Loaded { get; set; }
    public string? Title { get; set; }
    public string? Description { get; set; }
    public long Rows { get; set; }

    /// <summary>Rows of the loaded file(s) that were not loaded, listed at the table's rejects.</summary>
    public long RowsRejected { get; set; }
    public List<TableColumn> Columns { get; set; } = [];
    public string Source { get; set; } = "";
    public Guid Tid { get; set; }
    public Guid UploadId { get; set; }
    public long Sequence { get; set; }
    public DateTimeOffset LoadedAt { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }

    public static Guid IdFor(string wsid, string table) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"table\n{wsid}\n{table}")).AsSpan(0, 16));
}

public sealed class WorkspaceTableProjection : SingleStreamProjection<WorkspaceTable, Guid>
{
    public static WorkspaceTable Create(TableLoaded e) => Apply(e, new WorkspaceTable());

    public static WorkspaceTable Create(TableLoadFailed e) => Apply(e, new WorkspaceTable { Id = e.TableId, Wsid = e.Wsid, Name = e.Table });

    public static WorkspaceTable Apply(TableLoaded e, WorkspaceTable t)
    {
        if (e.Sequence <= t.Sequence)
            return t; // this load was overtaken by a newer one
        t.Id = e.TableId;
        t.Wsid = e.Wsid;
        t.Name = e.Table;
        t.Loaded = true;
        t.Title = e.Title ?? (e.Mode == LoadMode.Append ? t.Title : null);
        t.Description = e.Description ?? (e.Mode == LoadMode.Append ? t.Description : null);
        t.RowsRejected = e.Mode == LoadMode.Append ? t.RowsRejected + e.RowsRejected : e.RowsRejected;
        t.Rows = e.Rows;
        t.Columns = [.. e.Columns];
        t.Source = e.Source;
        t.Tid = e.Tid;
        t.UploadId = e.UploadId;
        t.Sequence = e.Sequence;
        t.LoadedAt = e.At;
        t.LastError = null;
        t.LastErrorAt = null;
        return t;
    }

    public static WorkspaceTable Apply(TableLoadFailed e, WorkspaceTable t)
    {
        t.LastError = e.Reason;
        t.LastErrorAt = e.At;
        return t;
    }
}
