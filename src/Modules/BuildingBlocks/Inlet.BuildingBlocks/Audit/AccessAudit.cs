using Marten;

namespace Inlet.BuildingBlocks.Audit;

/// <summary>
/// A member read or changed something, or was refused (issue #17): who, what was touched, never a secret
/// (no token, no query string beyond what names the thing). One event in a stream of its own, so that
/// concurrent reads never contend for a stream version.
/// </summary>
public sealed record WorkspaceAccessed(string Wsid, string Action, string By, IReadOnlyDictionary<string, string?> What, DateTimeOffset At);

/// <summary>Appends access events; shared by every module's endpoints and the workspace guard.</summary>
public sealed class AccessAudit(IDocumentStore store, TimeProvider clock)
{
    public const string FileDownloaded = "file_downloaded";
    public const string TableRowsRead = "table_rows_read";
    /// <summary>The rows a load did not take, raw text of the uploaded file: as much data as the table's own rows.</summary>
    public const string TableRejectsRead = "table_rejects_read";
    public const string TableExported = "table_exported";
    public const string SettingsChanged = "settings_changed";
    public const string AuditDownloaded = "audit_downloaded";
    public const string AccessDenied = "access_denied";

    /// <summary>Recorded before the answer is sent, so a download cut short is still on record.</summary>
    public async Task Record(string wsid, string action, string by, IReadOnlyDictionary<string, string?> what, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        session.Events.StartStream(Guid.CreateVersion7(), new WorkspaceAccessed(wsid, action, by, what, clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);
    }

    public static AuditFact? Map(JasperFx.Events.IEvent e) => e.Data is WorkspaceAccessed a
        ? new AuditFact(a.Wsid, new AuditEntry(
            a.What.TryGetValue("tid", out var tid) && Guid.TryParse(tid, out var t) ? t : null,
            a.Action, a.At, a.By,
            a.What.ToDictionary(kv => kv.Key, kv => kv.Key == "upload" && Guid.TryParse(kv.Value, out var u) ? (object?)u : kv.Value)))
        : null;
}
