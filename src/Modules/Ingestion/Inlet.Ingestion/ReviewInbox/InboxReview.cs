using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.WorkspaceFiles;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine;
using Wolverine.Http;

namespace Inlet.Ingestion.ReviewInbox;

/// <summary>
/// A member let a file that waited in the Inbox through: the approval that released it. <see cref="Approval"/> of
/// <see cref="Required"/> (null in events written before two-person review: 1 of 1).
/// </summary>
public sealed record UploadApproved(Guid UploadId, Guid Tid, string By, DateTimeOffset At, int? Approval = null, int? Required = null);

/// <summary>A member approved a file held in the Inbox that needs another member's approval before it is released (ADR 27).</summary>
public sealed record UploadApprovalGiven(Guid UploadId, Guid Tid, string By, int Approval, int Required, DateTimeOffset At);

/// <summary>A member turned a file that waited in the Inbox away; its bytes stay in storage, unlisted.</summary>
public sealed record UploadRejectedByReviewer(Guid UploadId, Guid Tid, string By, string Reason, DateTimeOffset At);

/// <summary>A workspace's own options. Off by default: files routed to the Inbox are available at once.</summary>
public sealed class WorkspaceSettings
{
    public string Id { get; set; } = "";
    public bool InboxApproval { get; set; }

    /// <summary>Every change of <c>approvals_required</c>, oldest first; empty: 1 (InboxReviewDecisions.Current).</summary>
    public List<ApprovalsRequiredChange> ApprovalsRequiredChanges { get; set; } = [];
}

public sealed record WorkspaceSettingsResponse(
    [property: JsonPropertyName("inbox_approval")] bool InboxApproval,
    [property: JsonPropertyName("approvals_required")] int ApprovalsRequired);

/// <summary>
/// Either field or both. <c>approvals_required</c> is read as JSON so that a wrong value (a string, a fraction, null) is
/// refused naming it; absent, it is <see cref="JsonValueKind.Undefined"/>.
/// </summary>
public sealed record WorkspaceSettingsRequest([property: JsonPropertyName("inbox_approval")] bool? InboxApproval)
{
    // A property, not a parameter with a default: the OpenAPI document cannot write default(JsonElement) as a default value.
    [JsonPropertyName("approvals_required")]
    public JsonElement ApprovalsRequired { get; init; }
}

public sealed record RejectInboxFileRequest([property: JsonPropertyName("reason")] string? Reason);

/// <summary>The answer to an approval: released (<c>available</c>) or still <c>pending</c>, with who approved so far.</summary>
public sealed record ApprovalResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("state")] InboxFileState State,
    [property: JsonPropertyName("approvals")] IReadOnlyList<ReviewApproval> Approvals,
    [property: JsonPropertyName("approvals_required")] int ApprovalsRequired);

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
        Response(await session.LoadAsync<WorkspaceSettings>(wsid, ct));

    [WolverinePut("/api/workspaces/{wsid}/settings")]
    public static async Task<IResult> PutSettings(string wsid, WorkspaceSettingsRequest? request, ClaimsPrincipal user, IDocumentSession session,
        TimeProvider clock, CancellationToken ct)
    {
        var approvalsGiven = request is not null && request.ApprovalsRequired.ValueKind != JsonValueKind.Undefined;
        if (request?.InboxApproval is null && !approvalsGiven)
            return Results.Problem(Problems.Validation("inbox_approval",
                "Give inbox_approval: true to hold Inbox files for review, false to make them available at once; or approvals_required: 1 or 2."));
        int? approvals = null;
        if (approvalsGiven)
        {
            var (value, why) = InboxReviewDecisions.ParseApprovalsRequired(request!.ApprovalsRequired);
            if (why is not null)
                return Results.Problem(Problems.Validation(InboxReviewDecisions.ApprovalsRequiredField, why));
            approvals = value;
        }
        var now = clock.GetUtcNow();
        var settings = await session.LoadAsync<WorkspaceSettings>(wsid, ct) ?? new WorkspaceSettings { Id = wsid };
        // Committed with the change itself: a setting never changes without its audit entry.
        if (request!.InboxApproval is { } approval)
        {
            var before = settings.InboxApproval;
            settings.InboxApproval = approval;
            Audit(session, wsid, user, "inbox_approval", before ? "true" : "false", approval ? "true" : "false", now);
        }
        if (approvals is { } required)
        {
            var before = InboxReviewDecisions.Current(settings);
            settings = InboxReviewDecisions.WithApprovalsRequired(settings, required, now);
            Audit(session, wsid, user, InboxReviewDecisions.ApprovalsRequiredField, before.ToString(CultureInfo.InvariantCulture),
                required.ToString(CultureInfo.InvariantCulture), now);
        }
        session.Store(settings);
        return Results.Ok(Response(settings));
    }

    private static WorkspaceSettingsResponse Response(WorkspaceSettings? settings) =>
        new(settings?.InboxApproval == true, InboxReviewDecisions.Current(settings));

    private static void Audit(IDocumentSession session, string wsid, ClaimsPrincipal user, string setting, string from, string to, DateTimeOffset now) =>
        session.Events.StartStream(Guid.CreateVersion7(), new Inlet.BuildingBlocks.Audit.WorkspaceAccessed(wsid, Inlet.BuildingBlocks.Audit.AccessAudit.SettingsChanged,
            user.UserName(), new Dictionary<string, string?> { ["setting"] = setting, ["from"] = from, ["to"] = to }, now));

    /// <summary>
    /// Load (the upload's stream for writing, the workspace's settings), decide (<see cref="InboxReviewDecisions.Approve"/>),
    /// and append the one event; Wolverine commits it. Two approvals at the same moment: the append checks the version read,
    /// so the later one fails as a conflict (409, "repeat the request") and its repeat is decided on the first one's result.
    /// </summary>
    [WolverinePost("/api/workspaces/{wsid}/inbox/{id}/approve")]
    public static async Task<(IResult, OutgoingMessages)> Approve(string wsid, string id, ClaimsPrincipal user, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var messages = new OutgoingMessages();
        var stream = await Fetch(session, id, ct);
        var settings = await session.LoadAsync<WorkspaceSettings>(wsid, ct);
        var decision = InboxReviewDecisions.Approve(stream?.Aggregate, wsid, settings, user.UserName(), clock.GetUtcNow());
        if (decision.Refusal is { } refusal)
            return (Answer(refusal), messages);
        stream!.AppendOne(decision.Event!);
        var record = stream.Aggregate!;
        messages.AddRange(Notices.UploadNotices.For(record, [decision.Event!]));
        return (Results.Ok(new ApprovalResponse(record.Id, record.FilePath, decision.Released ? InboxFileState.Available : InboxFileState.Pending,
            decision.Approvals, decision.Required)), messages);
    }

    [WolverinePost("/api/workspaces/{wsid}/inbox/{id}/reject")]
    public static async Task<(IResult, OutgoingMessages)> Reject(string wsid, string id, RejectInboxFileRequest? request, ClaimsPrincipal user, IDocumentSession session,
        TimeProvider clock, CancellationToken ct)
    {
        var messages = new OutgoingMessages();
        var reason = request?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > MaxReasonLength || reason.Any(char.IsControl))
            return (Results.Problem(Problems.Validation("reason", $"Say why the file is rejected: 1–{MaxReasonLength} characters, no control characters.")), messages);
        var stream = await Fetch(session, id, ct);
        var (rejected, refusal) = InboxReviewDecisions.Reject(stream?.Aggregate, wsid, user.UserName(), reason, clock.GetUtcNow());
        if (refusal is not null)
            return (Answer(refusal), messages);
        stream!.AppendOne(rejected!);
        messages.AddRange(Notices.UploadNotices.For(stream.Aggregate!, [rejected!]));
        return (Results.Ok(new { id = rejected!.UploadId, state = "rejected" }), messages);
    }

    /// <summary>The upload's stream for writing; null for an id that is not one (never an empty stream for it).</summary>
    private static async Task<JasperFx.Events.IEventStream<UploadRecord>?> Fetch(IDocumentSession session, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var uploadId) && uploadId != Guid.Empty
            ? await session.Events.FetchForWriting<UploadRecord>(uploadId, ct)
            : null;

    private static IResult Answer(ReviewRefusal refusal) => Results.Problem(Problems.Create(refusal.Status, refusal.Title, refusal.Detail));
}
