using Inlet.BuildingBlocks.Audit;

namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>
/// Issued, rotated and revoked database logins in a workspace's audit trail (docs/adr/0018): this module's
/// part of the flat audit projection. They belong to no token, so <c>tid</c> is null, as for access events.
/// </summary>
public static class DatabaseCredentialsAudit
{
    public static AuditFact? Map(JasperFx.Events.IEvent e) => e.Data switch
    {
        DatabaseCredentialsIssued i => new AuditFact(i.Wsid, new AuditEntry(null, "database_credentials_issued", i.At, i.By,
            new Dictionary<string, object?> { ["user"] = i.User })),
        DatabaseCredentialsRotated r => new AuditFact(r.Wsid, new AuditEntry(null, "database_credentials_rotated", r.At, r.By,
            new Dictionary<string, object?> { ["user"] = r.User, ["sessions_ended"] = r.SessionsEnded })),
        DatabaseCredentialsRevoked r => new AuditFact(r.Wsid, new AuditEntry(null, "database_credentials_revoked", r.At, r.By,
            new Dictionary<string, object?> { ["user"] = r.User, ["sessions_ended"] = r.SessionsEnded })),
        _ => null,
    };
}
