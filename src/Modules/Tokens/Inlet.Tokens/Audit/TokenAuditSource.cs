using Inlet.BuildingBlocks.Audit;
using Inlet.Tokens.ListUploadTokens;
using JasperFx.Core;
using Marten;

namespace Inlet.Tokens.Audit;

/// <summary>The token lifecycle part of a workspace's audit trail.</summary>
public sealed class TokenAuditSource(IDocumentStore store) : IWorkspaceAuditSource
{
    public async Task<IReadOnlyList<SequencedAuditEntry>> Read(string wsid, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var tids = await session.Query<UploadTokenSummary>().Where(t => t.Wsid == wsid).Select(t => t.Id).ToListAsync(ct);
        if (tids.Count == 0)
            return [];
        var ids = tids.ToArray();
        var events = await session.Events.QueryAllRawEvents().Where(e => e.StreamId.IsOneOf(ids)).ToListAsync(ct);
        return events.Select(e => AuditEndpoints.ToEntry(e) is { } entry ? new SequencedAuditEntry(e.Sequence, entry) : null).OfType<SequencedAuditEntry>().ToList();
    }
}
