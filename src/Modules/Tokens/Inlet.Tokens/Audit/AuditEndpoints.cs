using Inlet.BuildingBlocks.Audit;
using Inlet.BuildingBlocks.Auth;
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
    /// <summary>The token's own trail (its stream: issued, used, revoked, expired, archived), with the workspace audit's filters.</summary>
    [WolverineGet("/api/workspaces/{wsid}/upload-tokens/{tid}/events")]
    public static async Task<IResult> TokenEvents(string wsid, string tid, HttpContext context, IQuerySession session, AuditStore audit,
        AccessAudit access, CancellationToken ct)
    {
        var token = await TokenLookup.Find(session, wsid, tid, ct);
        if (token is null)
            return Results.Problem(Problems.NotFound("upload token"));
        return await Serve(context, wsid, token.Id, audit, access, ct, "tid");
    }

    /// <summary>
    /// Every module's entries of the workspace (tokens, uploads, reviews, tables, access), from the flat
    /// projection (docs/adr/0018): without parameters the v1 answer, the whole trail oldest first; with any,
    /// a filtered page <c>{ entries, next }</c> or, with <c>format=csv|ndjson</c>, every matching entry.
    /// </summary>
    [WolverineGet("/api/workspaces/{wsid}/audit")]
    public static Task<IResult> Workspace(string wsid, HttpContext context, AuditStore audit, AccessAudit access, CancellationToken ct) =>
        Serve(context, wsid, null, audit, access, ct);

    /// <summary>Recomputes the workspace's hash chain and says whether it holds.</summary>
    [WolverineGet("/api/workspaces/{wsid}/audit/verify")]
    public static Task<AuditVerification> Verify(string wsid, AuditStore audit, CancellationToken ct) => audit.Verify(wsid, ct);

    private static async Task<IResult> Serve(HttpContext context, string wsid, Guid? stream, AuditStore audit, AccessAudit access,
        CancellationToken ct, params string[] refused)
    {
        var (query, problem) = AuditQuery.Parse(context.Request.Query, refused);
        if (query is null)
            return Results.Problem(problem!);
        if (query.Format != AuditFormat.Json)
        {
            // Handing the trail to someone is itself an access worth recording (what was asked, not the answer).
            var what = new Dictionary<string, string?> { ["format"] = query.Format.ToString().ToLowerInvariant() };
            foreach (var (key, value) in context.Request.Query)
                if (key != "format")
                    what["filter." + key] = value.ToString();
            if (stream is { } s)
                what["tid"] = s.ToString();
            await access.Record(wsid, AccessAudit.AuditDownloaded, context.User.UserName(), what, ct);
            var (type, extension) = query.Format == AuditFormat.Csv ? ("text/csv; charset=utf-8", "csv") : ("application/x-ndjson", "ndjson");
            return Results.Stream(body => audit.WriteAll(body, wsid, stream, query, query.Format, ct), type, $"audit-{wsid}.{extension}");
        }
        return query.Paged
            ? Results.Stream(body => audit.WritePage(body, wsid, stream, query, ct), "application/json; charset=utf-8")
            : Results.Stream(body => audit.WriteAll(body, wsid, stream, query, AuditFormat.Json, ct), "application/json; charset=utf-8");
    }

    private static readonly HashSet<string> QuotaKeys = ["max_bytes", "max_files", "allowed_patterns"];

    public static AuditFact? Map(IEvent e) => ToEntry(e) is { } entry
        ? new AuditFact(e.Data is UploadTokenIssued i ? i.Wsid : null, entry)
        : null;

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
            // Only where set, so that the entries (and hash chain) of tokens without limits read as before.
            ["max_bytes"] = i.Quota?.MaxBytes,
            ["max_files"] = i.Quota?.MaxFiles,
            ["allowed_patterns"] = i.Quota?.AllowedPatterns,
        }.Where(kv => kv.Value is not null || !QuotaKeys.Contains(kv.Key)).ToDictionary()),
        UploadTokenUsed u => new AuditEntry(u.Tid, "used", u.At, null, new Dictionary<string, object?>
        {
            ["files"] = u.Files,
            ["bytes"] = u.Bytes,
            ["batch"] = u.BatchId,
        }),
        ExhaustUploadToken.UploadTokenQuotaExhausted x => new AuditEntry(x.Tid, "exhausted", x.At, null, new Dictionary<string, object?>
        {
            ["reason"] = x.Reason,
            ["used_bytes"] = x.UsedBytes,
            ["used_files"] = x.UsedFiles,
        }),
        UploadTokenRevoked r => new AuditEntry(r.Tid, "revoked", r.At, r.RevokedBy, new Dictionary<string, object?>()),
        UploadTokenExpired x => new AuditEntry(x.Tid, "expired", x.At, null, new Dictionary<string, object?> { ["valid_to"] = x.ValidTo }),
        ArchiveUploadToken.UploadTokenArchived a => new AuditEntry(a.Tid, "archived", a.At, null, new Dictionary<string, object?> { ["closed_at"] = a.ClosedAt }),
        _ => null,
    };
}
