using Inlet.BuildingBlocks.Audit;
using Inlet.Ingestion.ReviewInbox;
using Inlet.Ingestion.Routing;
using JasperFx.Events;
using Marten;

namespace Inlet.Ingestion.WorkspaceFiles;

/// <summary>Every upload's life in a workspace's audit trail: received, routed or rejected, and reviewed.</summary>
public sealed class UploadAuditSource(IDocumentStore store) : IWorkspaceAuditSource
{
    public async Task<IReadOnlyList<SequencedAuditEntry>> Read(string wsid, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var uploads = await session.Query<UploadRecord>().Where(r => r.Wsid == wsid).Select(r => r.Id).ToListAsync(ct);
        return await AuditEvents.FromStreams(session, uploads, ToEntry, ct);
    }

    private static AuditEntry? ToEntry(IEvent e) => e.Data switch
    {
        UploadReceived r => new AuditEntry(r.Tid, "upload_received", r.At, null, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["name"] = r.BlobName, ["size"] = r.Size, ["routed_to"] = r.RoutedTo,
        }),
        UploadRouted r => new AuditEntry(r.Tid, "upload_routed", r.At, null, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["location"] = r.Location, ["awaiting_approval"] = r.AwaitingApproval,
        }),
        UploadRejected r => new AuditEntry(r.Tid, "upload_rejected", r.At, null, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["reason"] = r.Reason,
        }),
        DatabaseUploadRefused r => new AuditEntry(r.Tid, "upload_rejected", r.At, null, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["reason"] = r.Reason, ["kept_at"] = r.KeptAt,
        }),
        UploadApproved r => new AuditEntry(r.Tid, "upload_approved", r.At, r.By, new Dictionary<string, object?> { ["upload"] = r.UploadId }),
        UploadRejectedByReviewer r => new AuditEntry(r.Tid, "upload_rejected_by_reviewer", r.At, r.By, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["reason"] = r.Reason,
        }),
        Retention.RejectedUploadPurged r => new AuditEntry(r.Tid, "upload_purged", r.At, null, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["location"] = r.Location, ["size"] = r.Size, ["kept_days"] = Math.Round(r.KeptFor.TotalDays, 2),
        }),
        _ => null,
    };
}
