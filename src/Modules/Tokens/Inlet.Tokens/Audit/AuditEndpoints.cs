using Inlet.BuildingBlocks.Audit;
using Inlet.BuildingBlocks.Http;
using Inlet.Tokens.ExpireUploadToken;
using Inlet.Tokens.IssueUploadToken;
using Inlet.Tokens.ListUploadTokens;
using Inlet.Tokens.RecordUsage;
using Inlet.Tokens.RevokeUploadToken;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace Inlet.Tokens.Audit;

public static class AuditEndpoints
{
    [WolverineGet("/api/workspaces/{wsid}/upload-tokens/{tid}/events")]
    public static async Task<IResult> TokenEvents(string wsid, string tid, IQuerySession session, CancellationToken ct)
    {
        var token = await TokenLookup.Find(session, wsid, tid, ct);
        if (token is null)
            return Results.Problem(Problems.NotFound("upload token"));
        // Read like the workspace audit, archived events included: FetchStream leaves out the events of an
        // archived stream, and a token archived after its retention (docs/adr/0014) keeps its audit trail.
        var entries = await AuditEvents.FromStreams(session, [token.Id], ToEntry, ct);
        return Results.Json(entries.OrderBy(e => e.Sequence).Select(e => e.Entry).ToList());
    }

    /// <summary>Every module's events of the workspace (tokens, uploads, reviews), oldest first.</summary>
    [WolverineGet("/api/workspaces/{wsid}/audit")]
    public static async Task<IReadOnlyList<AuditEntry>> Workspace(string wsid, IEnumerable<IWorkspaceAuditSource> sources, CancellationToken ct)
    {
        var entries = new List<SequencedAuditEntry>();
        foreach (var source in sources)
            entries.AddRange(await source.Read(wsid, ct));
        return entries.OrderBy(e => e.Sequence).Select(e => e.Entry).ToList();
    }

    /// <summary>Turns an event into its public audit shape; secrets are never in events to begin with.</summary>
    public static AuditEntry? ToEntry(IEvent e) => e.Data switch
    {
        UploadTokenIssued i => new AuditEntry(i.Tid, "issued", i.IssuedAt, i.IssuedBy, new Dictionary<string, object?>
        {
            ["reason"] = i.Reason,
            ["valid_from"] = i.ValidFrom,
            ["valid_to"] = i.ValidTo,
            ["destination"] = i.Destination,
            ["inboxid"] = i.Container,
        }),
        UploadTokenUsed u => new AuditEntry(u.Tid, "used", u.At, null, new Dictionary<string, object?>
        {
            ["files"] = u.Files,
            ["bytes"] = u.Bytes,
            ["batch"] = u.BatchId,
        }),
        UploadTokenRevoked r => new AuditEntry(r.Tid, "revoked", r.At, r.RevokedBy, new Dictionary<string, object?>()),
        UploadTokenExpired x => new AuditEntry(x.Tid, "expired", x.At, null, new Dictionary<string, object?> { ["valid_to"] = x.ValidTo }),
        ArchiveUploadToken.UploadTokenArchived a => new AuditEntry(a.Tid, "archived", a.At, null, new Dictionary<string, object?> { ["closed_at"] = a.ClosedAt }),
        _ => null,
    };
}
