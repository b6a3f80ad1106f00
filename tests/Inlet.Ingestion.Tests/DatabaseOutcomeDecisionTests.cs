using Inlet.Ingestion.DatabaseRouting;
using Inlet.Ingestion.Routing;
using Inlet.Tabular.Contracts;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>Completing a database upload, decided directly: the upload's state and the database's answer in, events and messages out.</summary>
public sealed class DatabaseOutcomeDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private static UploadRecord Staged(string name = "visits.csv")
    {
        var id = Guid.NewGuid();
        var record = UploadRecordProjection.Create(new UploadReceived(id, Guid.NewGuid(), "ws1", "upload-x", name, "\"0x1\"", 10, null, "database",
            $".database/{id:N}/{name}", null, Now.AddMinutes(-2)));
        UploadRecordProjection.Apply(new UploadStaged(id, record.Tid, record.Location, Now.AddMinutes(-1)), record);
        return record;
    }

    private static DatabaseFileLoaded Loaded(UploadRecord record, long rows = 3, long rejected = 0) =>
        new(record.Id, record.Wsid, ["visits"], Now, rows, rejected);

    [Fact]
    public void A_load_routes_its_staged_upload_to_its_tables()
    {
        var record = Staged();

        var routed = DatabaseOutcomeDecisions.Loaded(record, Loaded(record) with { Note = "read as Windows-1252" });

        Assert.Equal(new UploadRouted(record.Id, record.Tid, "table:visits", 10, null, Now, RowsLoaded: 3, RowsRejected: 0, Note: "read as Windows-1252"), routed);
    }

    [Fact]
    public void A_redelivered_load_changes_nothing_and_a_reload_with_other_numbers_corrects_them()
    {
        var record = Staged();
        UploadRecordProjection.Apply(DatabaseOutcomeDecisions.Loaded(record, Loaded(record))!, record);

        Assert.Null(DatabaseOutcomeDecisions.Loaded(record, Loaded(record)));
        Assert.Equal(5, DatabaseOutcomeDecisions.Loaded(record, Loaded(record, rows: 5))!.RowsLoaded);
    }

    [Fact]
    public void A_load_of_a_rejected_or_unknown_upload_records_nothing()
    {
        var record = Staged();
        UploadRecordProjection.Apply(new DatabaseUploadRefused(record.Id, record.Tid, "bad", "inbox/visits.csv", Now), record);

        Assert.Null(DatabaseOutcomeDecisions.Loaded(record, Loaded(record)));
        Assert.Null(DatabaseOutcomeDecisions.Loaded(null, Loaded(Staged())));
    }

    [Fact]
    public void Only_a_staged_upload_still_pending_awaits_the_database()
    {
        var record = Staged();
        Assert.True(DatabaseOutcomeDecisions.AwaitsDatabase(record));
        Assert.False(DatabaseOutcomeDecisions.AwaitsDatabase(null));
        Assert.False(DatabaseOutcomeDecisions.AwaitsDatabase(new UploadRecord { Status = UploadStatus.Pending }));
        UploadRecordProjection.Apply(DatabaseOutcomeDecisions.Loaded(record, Loaded(record))!, record);
        Assert.False(DatabaseOutcomeDecisions.AwaitsDatabase(record));
    }

    [Fact]
    public void A_refused_file_tries_its_uploaded_name_in_the_Inbox_then_numbered_ones()
    {
        var candidates = DatabaseOutcomeDecisions.InboxCandidates(Staged("sub/visits.csv")).ToList();

        Assert.Equal(["inbox/sub/visits.csv", "inbox/sub/visits (2).csv", "inbox/sub/visits (3).csv"], candidates.Take(3));
        Assert.Equal(RoutingRules.MaxNameAttempts, candidates.Count);
    }

    [Fact]
    public void A_refusal_claims_a_free_Inbox_path_and_asks_for_the_bytes_to_be_kept_there_in_the_same_transaction()
    {
        var record = Staged();
        var refused = new DatabaseFileRefused(record.Id, record.Wsid, "line 3: 1 field, 2 expected", Now);

        var (claim, keep) = DatabaseOutcomeDecisions.Refused(new RefusalState(record, new InboxSlot("inbox/visits (2).csv", Ours: false)), refused);

        Assert.Equal("ws1/inbox/visits (2).csv", claim!.Id);
        Assert.Equal(record.Id, claim.UploadId);
        Assert.Equal(new KeepRefusedUpload(record.Id, "inbox/visits (2).csv", refused.Reason, Now), keep);
    }

    [Fact]
    public void A_redelivered_refusal_finds_its_own_claim_and_claims_nothing_again()
    {
        var record = Staged();
        var refused = new DatabaseFileRefused(record.Id, record.Wsid, "bad", Now);

        var (claim, keep) = DatabaseOutcomeDecisions.Refused(new RefusalState(record, new InboxSlot("inbox/visits.csv", Ours: true)), refused);

        Assert.Null(claim);
        Assert.Equal("inbox/visits.csv", keep!.KeptAt);
    }

    [Fact]
    public void A_refusal_of_an_upload_that_no_longer_awaits_the_database_does_nothing()
    {
        var record = Staged();
        UploadRecordProjection.Apply(new DatabaseUploadRefused(record.Id, record.Tid, "bad", "inbox/visits.csv", Now), record);

        Assert.Equal((null, null), DatabaseOutcomeDecisions.Refused(new RefusalState(record, null), new DatabaseFileRefused(record.Id, record.Wsid, "bad", Now)));
        Assert.Equal((null, null), DatabaseOutcomeDecisions.Refused(new RefusalState(null, null), new DatabaseFileRefused(Guid.NewGuid(), "ws1", "bad", Now)));
    }

    [Fact]
    public void The_kept_bytes_are_recorded_once_as_the_refusal_of_the_upload()
    {
        var record = Staged();
        var keep = new KeepRefusedUpload(record.Id, "inbox/visits.csv", "bad", Now);

        var refusal = DatabaseOutcomeDecisions.Keep(record, keep);
        Assert.Equal(new DatabaseUploadRefused(record.Id, record.Tid, "bad", "inbox/visits.csv", Now), refusal);

        UploadRecordProjection.Apply(refusal!, record);
        Assert.Equal(UploadStatus.Rejected, record.Status);
        Assert.Equal("inbox/visits.csv", record.FilePath);
        Assert.Null(DatabaseOutcomeDecisions.Keep(record, keep)); // a retry, or another node was first
        Assert.Null(DatabaseOutcomeDecisions.Keep(null, keep));
    }
}
