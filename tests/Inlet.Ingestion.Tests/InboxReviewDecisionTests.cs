using System.Text.Json;
using Inlet.Ingestion.ReviewInbox;
using Inlet.Ingestion.Routing;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>Inbox review decided directly (ADR 27): the held upload, the workspace's settings and the member in; an event or a refusal out.</summary>
public sealed class InboxReviewDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private static UploadRecord Held(DateTimeOffset? heldAt = null, string wsid = "ws1")
    {
        var id = Guid.NewGuid();
        var record = UploadRecordProjection.Create(new UploadReceived(id, Guid.NewGuid(), wsid, "upload-x", "visits.csv", "\"0x1\"", 10, null, "inbox",
            "inbox/visits.csv", null, Now.AddMinutes(-3)));
        UploadRecordProjection.Apply(new UploadRouted(id, record.Tid, "inbox/visits.csv", 10, null, heldAt ?? Now.AddMinutes(-2), AwaitingApproval: true), record);
        return record;
    }

    private static WorkspaceSettings Settings(params (int Value, DateTimeOffset At)[] changes) =>
        new() { Id = "ws1", InboxApproval = true, ApprovalsRequiredChanges = changes.Select(c => new ApprovalsRequiredChange(c.Value, c.At)).ToList() };

    private static ApprovalDecision ApproveAndApply(UploadRecord record, WorkspaceSettings? settings, string by, DateTimeOffset at)
    {
        var decision = InboxReviewDecisions.Approve(record, "ws1", settings, by, at);
        switch (decision.Event)
        {
            case UploadApprovalGiven given: UploadRecordProjection.Apply(given, record); break;
            case UploadApproved approved: UploadRecordProjection.Apply(approved, record); break;
        }
        return decision;
    }

    [Fact]
    public void With_one_approval_required_as_today_the_first_approval_releases_the_file()
    {
        var record = Held();

        var decision = InboxReviewDecisions.Approve(record, "ws1", null, "alice", Now);

        Assert.Null(decision.Refusal);
        Assert.True(decision.Released);
        Assert.Equal(new UploadApproved(record.Id, record.Tid, "alice", Now, 1, 1), decision.Event);
        Assert.Equal((1, 1), (decision.Approvals.Count, decision.Required));
    }

    [Fact]
    public void With_two_required_the_first_approval_leaves_it_pending_the_same_member_is_refused_and_a_second_member_releases_it()
    {
        var settings = Settings((2, Now.AddDays(-1)));
        var record = Held();

        var first = ApproveAndApply(record, settings, "alice", Now);
        Assert.Equal(new UploadApprovalGiven(record.Id, record.Tid, "alice", 1, 2, Now), first.Event);
        Assert.False(first.Released);
        Assert.Equal(ReviewState.Pending, record.Review);
        Assert.Equal(UploadStatus.Pending, record.Status);
        Assert.Equal([new ReviewApproval("alice", Now)], record.Approvals);

        var again = InboxReviewDecisions.Approve(record, "ws1", settings, "alice", Now.AddMinutes(1));
        Assert.Null(again.Event);
        Assert.Equal(ReviewRefusalKind.AlreadyApprovedBySameMember, again.Refusal!.Kind);
        Assert.Equal(409, again.Refusal.Status);
        Assert.Contains("already approved", again.Refusal.Detail);
        Assert.Contains("second, different member", again.Refusal.Detail);

        var second = ApproveAndApply(record, settings, "bob", Now.AddMinutes(2));
        Assert.Equal(new UploadApproved(record.Id, record.Tid, "bob", Now.AddMinutes(2), 2, 2), second.Event);
        Assert.True(second.Released);
        Assert.Equal(ReviewState.Approved, record.Review);
        Assert.Equal(UploadStatus.Routed, record.Status);
        Assert.Equal(["alice", "bob"], record.Approvals.Select(a => a.By));
        Assert.Equal(2, InboxReviewDecisions.RequiredForListing(settings, record));

        var third = InboxReviewDecisions.Approve(record, "ws1", settings, "carol", Now.AddMinutes(3));
        Assert.Equal(ReviewRefusalKind.AlreadyDecided, third.Refusal!.Kind);
        Assert.Contains("alice and bob", third.Refusal.Detail);
    }

    [Fact]
    public void A_rejection_after_one_approval_ends_the_review_and_takes_no_further_approvals()
    {
        var settings = Settings((2, Now.AddDays(-1)));
        var record = Held();
        ApproveAndApply(record, settings, "alice", Now);

        var (rejected, refusal) = InboxReviewDecisions.Reject(record, "ws1", "bob", "Wrong study", Now.AddMinutes(1));
        Assert.Null(refusal);
        Assert.Equal(new UploadRejectedByReviewer(record.Id, record.Tid, "bob", "Wrong study", Now.AddMinutes(1)), rejected);
        UploadRecordProjection.Apply(rejected!, record);

        var late = InboxReviewDecisions.Approve(record, "ws1", settings, "carol", Now.AddMinutes(2));
        Assert.Null(late.Event);
        Assert.Equal(ReviewRefusalKind.AlreadyDecided, late.Refusal!.Kind);
        Assert.Contains("rejected by bob", late.Refusal.Detail);
        Assert.Equal(ReviewRefusalKind.AlreadyDecided, InboxReviewDecisions.Reject(record, "ws1", "carol", "again", Now).Refusal!.Kind);
    }

    [Fact]
    public void The_first_approver_may_still_reject()
    {
        var settings = Settings((2, Now.AddDays(-1)));
        var record = Held();
        ApproveAndApply(record, settings, "alice", Now);

        Assert.NotNull(InboxReviewDecisions.Reject(record, "ws1", "alice", "Second thoughts", Now).Event);
    }

    [Fact]
    public void Unknown_foreign_and_never_held_uploads_are_refused()
    {
        Assert.Equal(ReviewRefusalKind.NotFound, InboxReviewDecisions.Approve(null, "ws1", null, "alice", Now).Refusal!.Kind);
        Assert.Equal(404, InboxReviewDecisions.Approve(Held(wsid: "ws2"), "ws1", null, "alice", Now).Refusal!.Status);
        var notHeld = Held();
        notHeld.Review = null;
        Assert.Equal(ReviewRefusalKind.NotHeld, InboxReviewDecisions.Approve(notHeld, "ws1", null, "alice", Now).Refusal!.Kind);
        Assert.Equal(ReviewRefusalKind.NotFound, InboxReviewDecisions.Reject(null, "ws1", "alice", "x", Now).Refusal!.Kind);
    }

    [Fact]
    public void Raising_the_setting_applies_to_waiting_files_lowering_it_only_to_files_held_afterwards()
    {
        var heldAt = Now.AddHours(-1);
        var raised = Settings((2, Now.AddMinutes(-5)));
        Assert.Equal(2, InboxReviewDecisions.Required(raised, Held(heldAt)));

        // Held under 2, lowered to 1 afterwards: one member cannot lower it and approve alone.
        var lowered = Settings((2, Now.AddDays(-1)), (1, Now.AddMinutes(-5)));
        Assert.Equal(2, InboxReviewDecisions.Required(lowered, Held(heldAt)));
        Assert.Equal(1, InboxReviewDecisions.Required(lowered, Held(Now)));
        Assert.False(InboxReviewDecisions.Approve(Held(heldAt), "ws1", lowered, "alice", Now).Released);

        // An approval counted against 2 keeps the file at 2 even if the history said less (it never decreases for a file).
        var record = Held(Now);
        ApproveAndApply(record, raised, "alice", Now);
        Assert.Equal(2, InboxReviewDecisions.Required(Settings((1, Now.AddDays(-1))), record));

        Assert.Equal(1, InboxReviewDecisions.Required(null, Held()));
        Assert.Null(InboxReviewDecisions.RequiredForListing(null, new UploadRecord()));
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("2", 2)]
    [InlineData("0", null)]
    [InlineData("3", null)]
    [InlineData("-1", null)]
    [InlineData("1.5", null)]
    [InlineData("\"2\"", null)]
    [InlineData("true", null)]
    [InlineData("null", null)]
    [InlineData("[2]", null)]
    [InlineData("99999999999", null)]
    public void Approvals_required_is_1_or_2_and_anything_else_is_refused_naming_the_field(string json, int? expected)
    {
        using var document = JsonDocument.Parse(json);

        var (value, problem) = InboxReviewDecisions.ParseApprovalsRequired(document.RootElement.Clone());

        Assert.Equal(expected, value);
        if (expected is null)
            Assert.Contains("approvals_required", problem);
        else
            Assert.Null(problem);
    }

    [Fact]
    public void A_change_of_the_setting_is_kept_with_its_time_and_an_unchanged_value_adds_nothing()
    {
        var settings = new WorkspaceSettings { Id = "ws1" };
        Assert.Equal(1, InboxReviewDecisions.Current(settings));

        InboxReviewDecisions.WithApprovalsRequired(settings, 1, Now);
        Assert.Empty(settings.ApprovalsRequiredChanges);
        InboxReviewDecisions.WithApprovalsRequired(settings, 2, Now);
        InboxReviewDecisions.WithApprovalsRequired(settings, 2, Now.AddMinutes(1));
        InboxReviewDecisions.WithApprovalsRequired(settings, 1, Now.AddMinutes(2));

        Assert.Equal([new ApprovalsRequiredChange(2, Now), new ApprovalsRequiredChange(1, Now.AddMinutes(2))], settings.ApprovalsRequiredChanges);
        Assert.Equal(1, InboxReviewDecisions.Current(settings));
        Assert.Equal(2, InboxReviewDecisions.InForceAt(settings, Now.AddMinutes(1)));
        Assert.Equal(1, InboxReviewDecisions.InForceAt(settings, Now.AddMinutes(-1)));
    }
}
