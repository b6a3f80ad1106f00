using Inlet.Tokens.ArchiveUploadToken;
using Inlet.Tokens.Contracts;
using Inlet.Tokens.ExpireUploadToken;
using Inlet.Tokens.IssueUploadToken;
using Inlet.Tokens.RevokeUploadToken;
using Xunit;

namespace Inlet.Tokens.Tests;

/// <summary>The token's decisions called directly: each is a function of state, command and time.</summary>
public sealed class UploadTokenDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private static UploadToken Issued(DateTimeOffset? validTo = null, string wsid = "ws1")
    {
        var tid = Guid.CreateVersion7(Now);
        var valid = new ValidatedTokenRequest("nightly export", Now, validTo ?? Now.AddDays(1), UploadDestination.Inbox);
        return UploadToken.Create(UploadTokenDecisions.Issue(tid, wsid, "alice", valid, Now, "landing").Issued);
    }

    [Fact]
    public void Issuing_records_the_request_schedules_the_expiry_for_the_tokens_own_stream_and_announces_its_container_and_account()
    {
        var tid = Guid.CreateVersion7(Now);
        var valid = new ValidatedTokenRequest("nightly export", Now, Now.AddDays(3), new UploadDestination(DestinationKind.Folder, "exports/a"));

        var issued = UploadTokenDecisions.Issue(tid, "ws1", "alice", valid, Now, "landing");

        Assert.Equal(new UploadTokenIssued(tid, "ws1", "nightly export", "alice", Now, Now, Now.AddDays(3), valid.Destination, $"upload-{tid:N}", Account: "landing"), issued.Issued);
        Assert.Equal(tid, issued.Expiry.Tid);
        Assert.Equal(new UploadTokenActivated(tid, "ws1", $"upload-{tid:N}", valid.Destination, Now, Now.AddDays(3), Account: "landing"), issued.Activated);
    }

    [Theory]
    [InlineData(null, "reason")]
    [InlineData("  ", "reason")]
    [InlineData("bell\a", "reason")]
    public void An_issue_request_without_a_plain_reason_is_refused_naming_the_field(string? reason, string field)
    {
        var (valid, problem) = IssueUploadTokenRules.Validate(new IssueUploadTokenRequest(reason), Now);
        Assert.Null(valid);
        Assert.Equal($"Invalid '{field}'", problem!.Title);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public void An_issue_request_for_fewer_than_1_or_more_than_30_days_is_refused(int days)
    {
        var (valid, problem) = IssueUploadTokenRules.Validate(new IssueUploadTokenRequest("r", ValidDays: days), Now);
        Assert.Null(valid);
        Assert.Equal("Invalid 'valid_days'", problem!.Title);
    }

    [Fact]
    public void An_issue_request_for_the_database_and_a_folder_at_once_is_refused()
    {
        var (_, problem) = IssueUploadTokenRules.Validate(new IssueUploadTokenRequest("r", UploadToDatabase: true, Folder: "a"), Now);
        Assert.Equal("Invalid 'folder'", problem!.Title);
    }

    [Fact]
    public void A_valid_issue_request_starts_now_to_the_second_and_lasts_its_days()
    {
        var now = Now.AddMilliseconds(750);
        var (valid, problem) = IssueUploadTokenRules.Validate(new IssueUploadTokenRequest(" site A ", ValidDays: 2, UploadToDatabase: true, BadRows: "refuse"), now);
        Assert.Null(problem);
        Assert.Equal(new ValidatedTokenRequest("site A", Now, Now.AddDays(2), new UploadDestination(DestinationKind.Database, null, "refuse")), valid);
    }

    [Fact]
    public void Revoking_an_active_token_records_who_and_when_and_announces_the_close()
    {
        var token = Issued();
        var (revoked, closed) = UploadTokenDecisions.Revoke(token, "bob", Now.AddHours(1));
        Assert.Equal(new UploadTokenRevoked(token.Id, "bob", Now.AddHours(1)), revoked);
        Assert.Equal(new UploadTokenClosed(token.Id, "ws1", token.Container, UploadTokenClosedReason.Revoked, Now.AddHours(1), "landing"), closed);
    }

    [Fact]
    public void A_token_issued_before_the_landing_account_closes_naming_no_account_so_its_container_is_sought_in_the_workspace_account()
    {
        // An UploadTokenIssued written before docs/adr/0030 has no account.
        var tid = Guid.CreateVersion7(Now);
        var token = UploadToken.Create(new UploadTokenIssued(tid, "ws1", "r", "alice", Now, Now, Now.AddDays(1), UploadDestination.Inbox, $"upload-{tid:N}"));
        Assert.Null(token.Account);
        Assert.Null(UploadTokenDecisions.Revoke(token, "bob", Now).Closed!.Account);
        Assert.Null(UploadTokenDecisions.Expire(token, Now.AddDays(1)).Closed!.Account);
    }

    [Fact]
    public void Revoking_a_revoked_token_changes_nothing()
    {
        var token = Issued();
        token.Apply(UploadTokenDecisions.Revoke(token, "bob", Now).Revoked!);
        Assert.Equal((null, null), UploadTokenDecisions.Revoke(token, "carol", Now.AddHours(1)));
    }

    [Fact]
    public void Revoking_an_expired_token_changes_nothing()
    {
        var token = Issued(validTo: Now.AddHours(1));
        token.Apply(UploadTokenDecisions.Expire(token, Now.AddHours(1)).Expired!);
        Assert.Equal((null, null), UploadTokenDecisions.Revoke(token, "bob", Now.AddHours(2)));
        Assert.Equal((null, null), UploadTokenDecisions.Revoke(null, "bob", Now));
    }

    [Fact]
    public void An_expiry_at_valid_to_records_it_and_announces_the_close()
    {
        var token = Issued(validTo: Now.AddHours(1));
        Assert.True(UploadTokenDecisions.IsDueToExpire(token, Now.AddHours(1)));
        var decision = UploadTokenDecisions.Expire(token, Now.AddHours(1).AddSeconds(2));
        Assert.Equal(new UploadTokenExpired(token.Id, Now.AddHours(1), Now.AddHours(1).AddSeconds(2)), decision.Expired);
        Assert.Equal(UploadTokenClosedReason.Expired, decision.Closed!.Reason);
        Assert.Null(decision.RetryAt);
    }

    [Fact]
    public void An_expiry_fired_early_is_tried_again_at_valid_to_and_withdraws_nothing()
    {
        var token = Issued(validTo: Now.AddHours(1));
        Assert.False(UploadTokenDecisions.IsDueToExpire(token, Now.AddMinutes(59)));
        Assert.Equal(new ExpiryDecision(null, null, Now.AddHours(1)), UploadTokenDecisions.Expire(token, Now.AddMinutes(59)));
    }

    [Fact]
    public void An_expiry_of_a_closed_or_unknown_token_does_nothing()
    {
        var token = Issued(validTo: Now.AddHours(1));
        token.Apply(new UploadTokenRevoked(token.Id, "bob", Now));
        Assert.False(UploadTokenDecisions.IsDueToExpire(token, Now.AddHours(2)));
        Assert.Same(ExpiryDecision.Nothing, UploadTokenDecisions.Expire(token, Now.AddHours(2)));
        Assert.Same(ExpiryDecision.Nothing, UploadTokenDecisions.Expire(null, Now.AddHours(2)));
    }

    [Fact]
    public void Usage_counts_each_new_file_once_and_ignores_those_counted_before_or_of_another_workspace()
    {
        var token = Issued();
        var counted = Guid.NewGuid();
        var twice = Guid.NewGuid();
        var offered = new[]
        {
            new RecordUploadTokenUsage(token.Id, "ws1", twice, 1, 100, Now),
            new RecordUploadTokenUsage(token.Id, "ws1", twice, 1, 100, Now), // re-delivered within the batch
            new RecordUploadTokenUsage(token.Id, "ws1", Guid.NewGuid(), 1, 50, Now.AddSeconds(5)),
            new RecordUploadTokenUsage(token.Id, "ws1", counted, 1, 999, Now.AddSeconds(9)),
            new RecordUploadTokenUsage(token.Id, "other", Guid.NewGuid(), 1, 999, Now.AddSeconds(9)),
        };
        var usedId = Guid.NewGuid();

        var used = UploadTokenDecisions.RecordUsage(token, offered, new HashSet<Guid> { counted }, usedId);

        Assert.Equal(new RecordUsage.UploadTokenUsed(token.Id, usedId, 2, 150, Now.AddSeconds(5)), used);
        Assert.Equal(2, UploadTokenDecisions.FreshUsage(token, offered, new HashSet<Guid> { counted }).Count);
    }

    [Fact]
    public void Usage_already_counted_or_of_an_unknown_token_records_nothing()
    {
        var token = Issued();
        var batch = Guid.NewGuid();
        var offered = new[] { new RecordUploadTokenUsage(token.Id, "ws1", batch, 1, 1, Now) };
        Assert.Null(UploadTokenDecisions.RecordUsage(token, offered, new HashSet<Guid> { batch }, Guid.NewGuid()));
        Assert.Null(UploadTokenDecisions.RecordUsage(null, offered, new HashSet<Guid>(), Guid.NewGuid()));
    }

    [Fact]
    public void A_token_closed_for_the_retention_age_is_archived_once_not_before_and_an_open_one_never()
    {
        var age = TimeSpan.FromDays(90);
        var token = Issued();
        Assert.Null(UploadTokenDecisions.Archive(token, age, Now.AddDays(365))); // open
        token.Apply(new UploadTokenRevoked(token.Id, "bob", Now));
        Assert.Null(UploadTokenDecisions.Archive(token, age, Now.AddDays(90).AddSeconds(-1)));
        Assert.Null(UploadTokenDecisions.Archive(token, TimeSpan.Zero, Now.AddDays(365))); // zero never archives

        var archived = UploadTokenDecisions.Archive(token, age, Now.AddDays(90));
        Assert.Equal(new UploadTokenArchived(token.Id, Now, Now.AddDays(90)), archived);
        token.Apply(archived!);
        Assert.Null(UploadTokenDecisions.Archive(token, age, Now.AddDays(91)));
    }

    [Theory]
    [InlineData(false, false, 0, TokenStatus.Active)]
    [InlineData(false, false, 2, TokenStatus.Expired)] // past valid_to before the expiry fired
    [InlineData(true, false, 0, TokenStatus.Revoked)]
    [InlineData(false, true, 0, TokenStatus.Expired)]
    public void The_listed_status_follows_revocation_expiry_and_valid_to(bool revoked, bool expired, int hoursLater, TokenStatus status) =>
        Assert.Equal(status, UploadToken.StatusAt(revoked ? Now : null, expired ? Now : null, Now.AddHours(1), Now.AddHours(hoursLater)));
}
