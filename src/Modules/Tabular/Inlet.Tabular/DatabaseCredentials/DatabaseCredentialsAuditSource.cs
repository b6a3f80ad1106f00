using Inlet.BuildingBlocks.Audit;
using Marten;

namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>Issued, rotated and revoked database logins in a workspace's audit trail (no token: <c>tid</c> is the nil UUID).</summary>
public sealed class DatabaseCredentialsAuditSource(IDocumentStore store) : IWorkspaceAuditSource
{
    public async Task<IReadOnlyList<SequencedAuditEntry>> Read(string wsid, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await AuditEvents.FromStreams(session, [WorkspaceDatabaseLogin.IdFor(wsid)], ToEntry, ct);
    }

    public static AuditEntry? ToEntry(JasperFx.Events.IEvent e) => e.Data switch
    {
        DatabaseCredentialsIssued i => new AuditEntry(Guid.Empty, "database_credentials_issued", i.At, i.By,
            new Dictionary<string, object?> { ["user"] = i.User }),
        DatabaseCredentialsRotated r => new AuditEntry(Guid.Empty, "database_credentials_rotated", r.At, r.By,
            new Dictionary<string, object?> { ["user"] = r.User, ["sessions_ended"] = r.SessionsEnded }),
        DatabaseCredentialsRevoked r => new AuditEntry(Guid.Empty, "database_credentials_revoked", r.At, r.By,
            new Dictionary<string, object?> { ["user"] = r.User, ["sessions_ended"] = r.SessionsEnded }),
        _ => null,
    };
}
