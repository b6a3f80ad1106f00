using System.Text.Json;
using System.Text.Json.Serialization;
using Inlet.Ingestion.Routing;
using Microsoft.AspNetCore.Http;

namespace Inlet.Ingestion.ReviewInbox;

/// <summary>One member's approval of a file held in the Inbox, as the upload's listing shows it.</summary>
public sealed record ReviewApproval(
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("at")] DateTimeOffset At);

/// <summary>The workspace's <c>approvals_required</c> from <see cref="At"/> on (the history decides what a held file needs).</summary>
public sealed record ApprovalsRequiredChange(int Value, DateTimeOffset At);

/// <summary>What an Inbox file is to a member: downloadable, or waiting for review.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InboxFileState>))]
public enum InboxFileState
{
    [JsonStringEnumMemberName("available")] Available,
    [JsonStringEnumMemberName("pending")] Pending,
}

/// <summary>Why a review action was refused; the endpoint answers it as problem details.</summary>
public enum ReviewRefusalKind
{
    /// <summary>No such upload in this workspace (or one no longer listed): 404.</summary>
    NotFound,

    /// <summary>The file was never held for review: 409.</summary>
    NotHeld,

    /// <summary>Already released or rejected: 409.</summary>
    AlreadyDecided,

    /// <summary>The same member approving a second time while another member's approval is needed: 409.</summary>
    AlreadyApprovedBySameMember,
}

public sealed record ReviewRefusal(ReviewRefusalKind Kind, int Status, string Title, string Detail);

/// <summary>
/// An approval decided: either <see cref="Refusal"/>, or one event (<see cref="UploadApprovalGiven"/> while more approvals
/// are needed, <see cref="UploadApproved"/> when this one releases the file) and the approvals as they stand after it.
/// </summary>
public sealed record ApprovalDecision(object? Event, ReviewRefusal? Refusal, IReadOnlyList<ReviewApproval> Approvals, int Required)
{
    public bool Released => Event is UploadApproved;
}

/// <summary>
/// Inbox review, decided purely (ADR 24, ADR 27): the upload's state, the workspace's settings, the member and the time in;
/// an event or a refusal out. Tested without a host in tests/Inlet.Ingestion.Tests (InboxReviewDecisionTests).
/// </summary>
public static class InboxReviewDecisions
{
    public const int DefaultApprovalsRequired = 1;
    public const int MaxApprovalsRequired = 2;
    public const string ApprovalsRequiredField = "approvals_required";

    /// <summary>The setting as it stands now (1 for a workspace that never set it).</summary>
    public static int Current(WorkspaceSettings? settings) =>
        settings?.ApprovalsRequiredChanges is { Count: > 0 } changes ? changes[^1].Value : DefaultApprovalsRequired;

    /// <summary>The setting in force at <paramref name="at"/>: the last change at or before it.</summary>
    public static int InForceAt(WorkspaceSettings? settings, DateTimeOffset at)
    {
        var value = DefaultApprovalsRequired;
        foreach (var change in settings?.ApprovalsRequiredChanges ?? [])
            if (change.At <= at)
                value = change.Value;
        return value;
    }

    /// <summary>
    /// How many different members must approve a held file: the stricter of the setting when the file was held, the
    /// setting now, and what an approval of it was already counted against. Raising the setting applies to files already
    /// waiting; lowering it applies only to files held afterwards, so nobody can lower it, approve alone and raise it again.
    /// </summary>
    public static int Required(WorkspaceSettings? settings, UploadRecord record)
    {
        var required = Current(settings);
        if (record.RoutedAt is { } heldAt)
            required = Math.Max(required, InForceAt(settings, heldAt));
        return Math.Max(required, record.ApprovalsRequired ?? 0);
    }

    /// <summary>How many approvals the listing shows a file needs: null where no review applies.</summary>
    public static int? RequiredForListing(WorkspaceSettings? settings, UploadRecord record) => record.Review switch
    {
        ReviewState.Pending => Required(settings, record),
        ReviewState.Approved => record.ApprovalsRequired ?? DefaultApprovalsRequired,
        ReviewState.Rejected => record.ApprovalsRequired ?? Required(settings, record),
        _ => null,
    };

    /// <summary>Reads <c>approvals_required</c> from a request: 1 or 2, or a reason naming what is wrong.</summary>
    public static (int? Value, string? Problem) ParseApprovalsRequired(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n is >= DefaultApprovalsRequired and <= MaxApprovalsRequired
            ? (n, null)
            : (null, $"Give {ApprovalsRequiredField}: 1 (one member's approval releases a held Inbox file) or 2 (two different members must approve it); "
                + $"got {(value.ValueKind == JsonValueKind.String ? "a string" : value.GetRawText())}.");

    /// <summary>The settings after a change of <c>approvals_required</c> (the history keeps every change with its time).</summary>
    public static WorkspaceSettings WithApprovalsRequired(WorkspaceSettings settings, int value, DateTimeOffset now)
    {
        if (Current(settings) != value)
            settings.ApprovalsRequiredChanges = [.. settings.ApprovalsRequiredChanges, new ApprovalsRequiredChange(value, now)];
        return settings;
    }

    public static ApprovalDecision Approve(UploadRecord? record, string wsid, WorkspaceSettings? settings, string by, DateTimeOffset now)
    {
        if (Waiting(record, wsid) is { } refusal)
            return new ApprovalDecision(null, refusal, record?.Approvals ?? [], record is null ? DefaultApprovalsRequired : Required(settings, record));
        var required = Required(settings, record!);
        var approvals = record!.Approvals;
        if (approvals.Any(a => a.By == by))
            return new ApprovalDecision(null, new ReviewRefusal(ReviewRefusalKind.AlreadyApprovedBySameMember, StatusCodes.Status409Conflict,
                "Already approved by you",
                $"You already approved this file ({approvals.Count} of {required} approvals); a second, different member must approve it before it is released."),
                approvals, required);
        var after = approvals.Append(new ReviewApproval(by, now)).ToList();
        object approval = after.Count >= required
            ? new UploadApproved(record.Id, record.Tid, by, now, after.Count, required)
            : new UploadApprovalGiven(record.Id, record.Tid, by, after.Count, required, now);
        return new ApprovalDecision(approval, null, after, required);
    }

    /// <summary>A rejection by any member ends the review, also after approvals: the file is rejected and takes no more.</summary>
    public static (UploadRejectedByReviewer? Event, ReviewRefusal? Refusal) Reject(UploadRecord? record, string wsid, string by, string reason, DateTimeOffset now) =>
        Waiting(record, wsid) is { } refusal
            ? (null, refusal)
            : (new UploadRejectedByReviewer(record!.Id, record.Tid, by, reason, now), null);

    private static ReviewRefusal? Waiting(UploadRecord? record, string wsid)
    {
        if (record is null || record.Wsid != wsid || record.FilePath is null && record.Review != ReviewState.Rejected)
            return new ReviewRefusal(ReviewRefusalKind.NotFound, StatusCodes.Status404NotFound, "Not found", "No Inbox file with that id exists in this workspace.");
        if (record.Review is null)
            return new ReviewRefusal(ReviewRefusalKind.NotHeld, StatusCodes.Status409Conflict, "Not awaiting review",
                "This file was never held for review: the workspace's Inbox approval was off when it arrived.");
        if (record.Review != ReviewState.Pending)
        {
            var by = record.Review == ReviewState.Approved && record.Approvals.Count > 0
                ? string.Join(" and ", record.Approvals.Select(a => a.By))
                : record.ReviewedBy;
            return new ReviewRefusal(ReviewRefusalKind.AlreadyDecided, StatusCodes.Status409Conflict, "Not awaiting review",
                record.Review == ReviewState.Rejected
                    ? $"This file was already rejected by {by}; a rejected file takes no further approvals."
                    : $"This file was already approved by {by}.");
        }
        return null;
    }
}
