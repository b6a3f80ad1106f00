using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Inlet.Tokens.Contracts;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>Routing a blob, decided directly: the upload's first event, whether its bytes still move, and its outcome.</summary>
public sealed class UploadDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private static TokenContainer Token(UploadDestination destination) =>
        new() { Id = Guid.NewGuid(), Wsid = "ws1", Container = "upload-x", Destination = destination };

    private static IngestBlob Blob(TokenContainer token, string name, string? md5 = "q83vEjRWeJA=") => new(token.Id, token.Container, name, "\"0x1\"", 10, md5);

    private static UploadRecord Received(UploadDestination destination, string name, int attempt = 1, string? md5 = "q83vEjRWeJA=")
    {
        var token = Token(destination);
        var blob = Blob(token, name, md5);
        var id = RoutingRules.UploadIdFor(blob.Container, blob.BlobName, blob.ETag);
        var (received, _) = UploadDecisions.Receive(token, blob, id, RoutingRules.Decide(destination, name, id), attempt, Now);
        return UploadRecordProjection.Create(received);
    }

    [Fact]
    public void The_first_event_records_where_the_file_will_go_and_the_claim_takes_that_path()
    {
        var token = Token(UploadDestination.Inbox);
        var blob = Blob(token, "dir/a.txt");
        var id = RoutingRules.UploadIdFor(blob.Container, blob.BlobName, blob.ETag);

        var (received, claim) = UploadDecisions.Receive(token, blob, id, RoutingRules.Decide(token.Destination, blob.BlobName, id), 2, Now);

        Assert.Equal(new UploadReceived(id, token.Id, "ws1", "upload-x", "dir/a.txt", "\"0x1\"", 10, "q83vEjRWeJA=", "inbox", "inbox/dir/a (2).txt", null, Now), received);
        Assert.Equal("ws1/inbox/dir/a (2).txt", claim.Id);
        Assert.Equal(id, claim.UploadId);
    }

    [Fact]
    public void An_unsafe_name_is_decided_into_the_quarantine_with_its_reason_whatever_the_attempt()
    {
        var record = Received(UploadDestination.Inbox, "   /only-spaces.txt", attempt: 3);

        Assert.Equal(RoutingRules.QuarantineLocation(record.Id), record.Location);
        Assert.StartsWith("Unsafe file name", UploadDecisions.DecidedRejection(record));
    }

    [Fact]
    public void A_decided_upload_awaits_routing_until_its_outcome_is_recorded()
    {
        var record = Received(UploadDestination.Inbox, "a.txt");
        Assert.True(UploadDecisions.AwaitsRouting(record));

        var outcome = UploadDecisions.Outcome(record, new MoveResult(true, null), awaitsReview: true, [], null, Now);
        UploadRecordProjection.Apply((UploadRouted)outcome.Event, record);

        Assert.Equal(UploadStatus.Pending, record.Status); // waiting for review, yet routed: its bytes do not move again
        Assert.False(UploadDecisions.AwaitsRouting(record));
    }

    [Fact]
    public void An_Inbox_file_is_routed_counted_as_usage_and_may_wait_for_review()
    {
        var record = Received(UploadDestination.Inbox, "a.txt");
        var move = new MoveResult(true, null);
        Assert.True(UploadDecisions.Reviewable(record, move));
        Assert.True(UploadDecisions.ChecksMd5(record));

        var outcome = UploadDecisions.Outcome(record, move, awaitsReview: true, [], null, Now);

        Assert.Equal(new UploadRouted(record.Id, record.Tid, "inbox/a.txt", 10, "q83vEjRWeJA=", Now, AwaitingApproval: true), outcome.Event);
        Assert.Equal(new RecordUploadTokenUsage(record.Tid, "ws1", record.Id, 1, 10, Now), outcome.Usage);
        Assert.Null(outcome.Staged);
        Assert.Equal("routed", outcome.Outcome);
    }

    [Fact]
    public void A_folder_file_is_never_reviewed()
    {
        var record = Received(new UploadDestination(DestinationKind.Folder, "exports"), "a.txt");

        Assert.Equal("exports/a.txt", record.Location);
        Assert.False(UploadDecisions.Reviewable(record, new MoveResult(true, null)));
    }

    [Fact]
    public void A_file_whose_bytes_were_refused_is_rejected_into_the_quarantine_and_not_counted()
    {
        var record = Received(UploadDestination.Inbox, "a.txt");
        var move = new MoveResult(false, "MD5 mismatch");
        Assert.False(UploadDecisions.Reviewable(record, move));

        var outcome = UploadDecisions.Outcome(record, move, awaitsReview: false, [], null, Now);

        Assert.Equal(new UploadRejected(record.Id, record.Tid, "MD5 mismatch", RoutingRules.QuarantineLocation(record.Id), Now), outcome.Event);
        Assert.Null(outcome.Usage);
        Assert.False(outcome.Moved);
        Assert.Equal("rejected", outcome.Outcome);
    }

    [Fact]
    public void A_database_file_is_staged_with_the_metadata_it_waits_for_and_its_MD5_left_to_the_database()
    {
        var record = Received(new UploadDestination(DestinationKind.Database, null, "refuse"), "visits.csv");
        var move = new MoveResult(true, null);
        Assert.False(UploadDecisions.ChecksMd5(record));
        Assert.True(UploadDecisions.Stages(record, move));

        var outcome = UploadDecisions.Outcome(record, move, awaitsReview: false, ["visits.schema.json"], "refuse", Now);

        Assert.Equal(new UploadStaged(record.Id, record.Tid, record.Location, Now), outcome.Event);
        var staged = outcome.Staged!;
        Assert.Equal((record.Id, "ws1", "visits.csv", record.Location, "refuse", record.ReceivedAt), (staged.UploadId, staged.Wsid, staged.Name, staged.StagedPath, staged.BadRows, staged.DetectedAt));
        Assert.Equal(["visits.schema.json"], staged.AwaitedMetadata!);
        Assert.NotNull(outcome.Usage);
        Assert.Equal("staged", outcome.Outcome);
    }

    [Fact]
    public void A_database_file_refused_before_staging_is_rejected_not_staged()
    {
        var record = Received(new UploadDestination(DestinationKind.Database, null), "visits.csv");

        Assert.False(UploadDecisions.Stages(record, new MoveResult(false, "unsafe")));
        Assert.Null(UploadDecisions.Outcome(record, new MoveResult(false, "unsafe"), false, [], null, Now).Staged);
    }
}
