using Inlet.BuildingBlocks.Text;
using Inlet.BuildingBlocks.Audit;
using Inlet.Tabular.LoadTable;

namespace Inlet.Tabular.Catalogue;

/// <summary>Table loads and failed loads in a workspace's audit trail.</summary>
public static class TableAudit
{
    public static AuditFact? Map(JasperFx.Events.IEvent e) => e.Data switch
    {
        TableLoaded l => new AuditFact(l.Wsid, new AuditEntry(l.Tid, "table_loaded", l.At, null, new Dictionary<string, object?>
        {
            ["upload"] = l.UploadId, ["table"] = l.Table, ["source"] = l.Source, ["rows"] = l.Rows, ["rows_added"] = l.RowsAdded, ["rows_rejected"] = l.RowsRejected, ["mode"] = EnumText.Name(l.Mode),
            // Only where a header was renamed, so that other loads' entries (and hash chain) read as before.
            ["renamed_columns"] = l.RenamedColumns is { Count: > 0 } renamed ? renamed : null,
        }.Where(kv => kv.Value is not null || kv.Key != "renamed_columns").ToDictionary())),
        TableLoadFailed f => new AuditFact(f.Wsid, new AuditEntry(f.Tid, "table_load_failed", f.At, null, new Dictionary<string, object?>
        {
            ["upload"] = f.UploadId, ["table"] = f.Table, ["source"] = f.Source, ["reason"] = f.Reason,
        })),
        _ => null,
    };
}
