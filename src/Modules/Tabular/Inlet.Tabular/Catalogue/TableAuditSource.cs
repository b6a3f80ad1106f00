using Inlet.BuildingBlocks.Audit;
using Inlet.Tabular.LoadTable;
using Marten;

namespace Inlet.Tabular.Catalogue;

/// <summary>Table loads and failed loads in a workspace's audit trail.</summary>
public sealed class TableAuditSource(IDocumentStore store) : IWorkspaceAuditSource
{
    public async Task<IReadOnlyList<SequencedAuditEntry>> Read(string wsid, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var tables = await session.Query<WorkspaceTable>().Where(t => t.Wsid == wsid).Select(t => t.Id).ToListAsync(ct);
        return await AuditEvents.FromStreams(session, tables, ToEntry, ct);
    }

    private static AuditEntry? ToEntry(JasperFx.Events.IEvent e) => e.Data switch
    {
        TableLoaded l => new AuditEntry(l.Tid, "table_loaded", l.At, null, new Dictionary<string, object?>
        {
            ["upload"] = l.UploadId, ["table"] = l.Table, ["source"] = l.Source, ["rows"] = l.Rows, ["rows_added"] = l.RowsAdded, ["rows_rejected"] = l.RowsRejected, ["mode"] = l.Mode,
        }),
        TableLoadFailed f => new AuditEntry(f.Tid, "table_load_failed", f.At, null, new Dictionary<string, object?>
        {
            ["upload"] = f.UploadId, ["table"] = f.Table, ["source"] = f.Source, ["reason"] = f.Reason,
        }),
        _ => null,
    };
}
