using System.Security.Claims;
using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.WorkspaceFiles;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace Inlet.Ingestion.ReviewInbox;

/// <summary>A member let a file that waited in the Inbox through.</summary>
public sealed record UploadApproved(Guid UploadId, Guid Tid, string By, DateTimeOffset At);

/// <summary>A member turned a file that waited in the Inbox away; its bytes stay in storage, unlisted.</summary>
public sealed record UploadRejectedByReviewer(Guid UploadId, Guid Tid, string By, string Reason, DateTimeOffset At);

/// <summary>A workspace's own options. Off by default: files routed to the Inbox are available at once.</summary>
public sealed class WorkspaceSettings
{
    public string Id { get; set; } = "";
    public bool InboxApproval { get; set; }
}

public sealed record WorkspaceSettingsResponse([property: JsonPropertyName("inbox_approval")] bool InboxApproval);

public sealed record WorkspaceSettingsRequest([property: JsonPropertyName("inbox_approval")] bool? InboxApproval);

public sealed record RejectInboxFileRequest([property: JsonPropertyName("reason")] string? Reason);

public static class InboxReview
{
    public const int MaxReasonLength = 500;

    public static async Task<bool> IsOn(IDocumentStore store, string wsid, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await session.LoadAsync<WorkspaceSettings>(wsid, ct))?.InboxApproval == true;
    }

    [WolverineGet("/api/workspaces/{wsid}/settings")]
    public static async Task<WorkspaceSettingsResponse> GetSettings(string wsid, IQuerySession session, CancellationToken ct) =>
        new((await session.LoadAsync<WorkspaceSettings>(wsid, ct))?.InboxApproval == true);

    [WolverinePut("/api/workspaces/{wsid}/settings")]
    public static async Task<IResult> PutSettings(string wsid, WorkspaceSettingsRequest? request, ClaimsPrincipal user, IDocumentSession session,
        TimeProvider clock, CancellationToken ct)
    {
        if (request?.InboxApproval is not { } approval)
            return Results.Problem(Problems.Validation("inbox_approval", "Give inbox_approval: true to hold Inbox files for review, false to make them available at once."));
        var before = (await session.LoadAsync<WorkspaceSettings>(wsid, ct))?.InboxApproval == true;
        session.Store(new WorkspaceSettings { Id = wsid, InboxApproval = approval });
        // Committed with the change itself: a setting never changes without its audit entry.
        session.Events.StartStream(Guid.CreateVersion7(), new Inlet.BuildingBlocks.Audit.WorkspaceAccessed(wsid, Inlet.BuildingBlocks.Audit.AccessAudit.SettingsChanged,
            user.UserName(), new Dictionary<string, string?>
            {
                ["setting"] = "inbox_approval", ["from"] = before ? "true" : "false", ["to"] = approval ? "true" : "false",
            }, clock.GetUtcNow()));
        return Results.Ok(new WorkspaceSettingsResponse(approval));
    }

    [WolverinePost("/api/workspaces/{wsid}/inbox/{id}/approve")]
    public static async Task<IResult> Approve(string wsid, string id, ClaimsPrincipal user, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var (stream, problem) = await Waiting(session, wsid, id, ct);
        if (problem is not null)
            return problem;
        var record = stream!.Aggregate!;
        stream.AppendOne(new UploadApproved(record.Id, record.Tid, user.UserName(), clock.GetUtcNow()));
        return Results.Ok(new { id = record.Id, path = record.FilePath, state = "available" });
    }

    [WolverinePost("/api/workspaces/{wsid}/inbox/{id}/reject")]
    public static async Task<IResult> Reject(string wsid, string id, RejectInboxFileRequest? request, ClaimsPrincipal user, IDocumentSession session,
        TimeProvider clock, CancellationToken ct)
    {
        var reason = request?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > MaxReasonLength || reason.Any(char.IsControl))
            return Results.Problem(Problems.Validation("reason", $"Say why the file is rejected: 1–{MaxReasonLength} characters, no control characters."));
        var (stream, problem) = await Waiting(session, wsid, id, ct);
        if (problem is not null)
            return problem;
        var record = stream!.Aggregate!;
        stream.AppendOne(new UploadRejectedByReviewer(record.Id, record.Tid, user.UserName(), reason, clock.GetUtcNow()));
        return Results.Ok(new { id = record.Id, state = "rejected" });
    }

    private static async Task<(JasperFx.Events.IEventStream<UploadRecord>? Stream, IResult? Problem)> Waiting(IDocumentSession session, string wsid, string id, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var uploadId) || uploadId == Guid.Empty)
            return (null, Results.Problem(Problems.NotFound("Inbox file")));
        var stream = await session.Events.FetchForWriting<UploadRecord>(uploadId, ct);
        if (stream.Aggregate is not { } record || record.Wsid != wsid || record.FilePath is null && record.Review != ReviewState.Rejected)
            return (null, Results.Problem(Problems.NotFound("Inbox file")));
        if (record.Review != ReviewState.Pending)
            return (null, Results.Problem(Problems.Create(StatusCodes.Status409Conflict, "Not awaiting review",
                record.Review is null
                    ? "This file was never held for review: the workspace's Inbox approval was off when it arrived."
                    : $"This file was already {record.Review} by {record.ReviewedBy}.")));
        return (stream, null);
    }
}
