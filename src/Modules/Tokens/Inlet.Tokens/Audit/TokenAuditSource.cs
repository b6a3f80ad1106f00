using Inlet.BuildingBlocks.Audit;
using Inlet.Tokens.ListUploadTokens;
using Marten;

namespace Inlet.Tokens.Audit;

/// <summary>The token lifecycle part of a workspace's audit trail.</summary>
public sealed class TokenAuditSource(IDocumentStore store) : IWorkspaceAuditSource
{
    public async Task<IReadOnlyList<SequencedAuditEntry>> Read(string wsid, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var tids = await session.Query<UploadTokenSummary>().Where(t => t.Wsid == wsid).Select(t => t.Id).ToListAsync(ct);
        return await AuditEvents.FromStreams(session, tids, AuditEndpoints.ToEntry, ct);
    }
}
