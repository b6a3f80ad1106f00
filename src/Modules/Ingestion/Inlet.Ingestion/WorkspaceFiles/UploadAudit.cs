using Inlet.BuildingBlocks.Audit;
using Inlet.Ingestion.ReviewInbox;
using Inlet.Ingestion.Routing;
using JasperFx.Events;

namespace Inlet.Ingestion.WorkspaceFiles;

/// <summary>Every upload's life in a workspace's audit trail: received, routed or rejected, and reviewed.</summary>
public static class UploadAudit
{
    /// <summary>An upload's stream starts with <see cref="UploadReceived"/>, which names the workspace; later events inherit it.</summary>
    public static AuditFact? Map(IEvent e) => ToEntry(e) is { } entry
        ? new AuditFact(e.Data is UploadReceived r ? r.Wsid : null, entry)
        : null;

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
        UploadBlockedByScan r => new AuditEntry(r.Tid, "upload_blocked_by_scan", r.At, null, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["signature"] = r.Signature, ["kept_at"] = r.QuarantineLocation,
        }),
        DatabaseUploadRefused r => new AuditEntry(r.Tid, "upload_rejected", r.At, null, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["reason"] = r.Reason, ["kept_at"] = r.KeptAt,
        }),
        UploadApprovalGiven r => new AuditEntry(r.Tid, "upload_approval_given", r.At, r.By, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["approval"] = r.Approval, ["of"] = r.Required,
        }),
        // Approvals written before two-person review carry no count; their entry stays as it was (its hash with it).
        UploadApproved { Approval: null } r => new AuditEntry(r.Tid, "upload_approved", r.At, r.By, new Dictionary<string, object?> { ["upload"] = r.UploadId }),
        UploadApproved r => new AuditEntry(r.Tid, "upload_approved", r.At, r.By, new Dictionary<string, object?>
        {
            ["upload"] = r.UploadId, ["approval"] = r.Approval, ["of"] = r.Required,
        }),
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
