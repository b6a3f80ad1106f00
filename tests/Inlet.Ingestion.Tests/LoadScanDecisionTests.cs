using Inlet.BuildingBlocks.Scanning;
using Inlet.Ingestion.DatabaseRouting;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Inlet.Tabular.Contracts;
using Inlet.Tokens.Contracts;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>
/// Which files the load's own read scans, and that every other way out of staging has a verdict first (docs/adr/0037),
/// decided directly.
/// </summary>
public sealed class LoadScanDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private static readonly UploadDestination Database = new(DestinationKind.Database, null);

    private static UploadRecord Received(UploadDestination destination, string name)
    {
        var token = new TokenContainer { Id = Guid.NewGuid(), Wsid = "ws1", Container = "upload-x", Destination = destination };
        var blob = new IngestBlob(token.Id, token.Container, name, "\"0x1\"", 10, "q83vEjRWeJA=");
        var id = RoutingRules.UploadIdFor(blob.Container, blob.BlobName, blob.ETag);
        var (received, _) = UploadDecisions.Receive(token, blob, id, RoutingRules.Decide(destination, name, id), 1, Now, scan: true);
        return UploadRecordProjection.Create(received);
    }

    /// <summary>Staged unscanned, as routing now stages a data file: <c>scanning</c> until the database answers.</summary>
    private static UploadRecord StagedUnscanned(string name = "visits.csv")
    {
        var record = Received(Database, name);
        var outcome = UploadDecisions.Outcome(record, new MoveResult(true, null), false, [], null, Now, scanInLoad: true);
        foreach (var e in outcome.Events)
            UploadRecordProjection.Apply((UploadStaged)e, record);
        return record;
    }

    [Fact]
    public void Only_a_database_data_file_is_scanned_by_its_load_everything_else_by_routing()
    {
        Assert.True(UploadDecisions.ScannedByLoad(Received(Database, "site-a/visits.csv")));
        Assert.True(UploadDecisions.ScannedByLoad(Received(Database, "visits.TSV")));
        Assert.True(UploadDecisions.ScannedByLoad(Received(Database, "visits.parquet")));
        Assert.False(UploadDecisions.ScannedByLoad(Received(Database, "visits.schema.json")));
        Assert.False(UploadDecisions.ScannedByLoad(Received(Database, "datapackage.json")));
        Assert.False(UploadDecisions.ScannedByLoad(Received(Database, "notes.txt"))); // to the Inbox
        Assert.False(UploadDecisions.ScannedByLoad(Received(UploadDestination.Inbox, "visits.csv")));
        Assert.False(UploadDecisions.ScannedByLoad(Received(Database, "../visits.csv"))); // quarantined by name
    }

    [Fact]
    public void A_file_staged_for_its_load_to_scan_stays_scanning_and_the_database_is_asked_to_scan_it()
    {
        var record = Received(Database, "visits.csv");
        var outcome = UploadDecisions.Outcome(record, new MoveResult(true, null), false, [], null, Now, scanInLoad: true);

        Assert.Null(outcome.Scanned);
        var staged = Assert.IsType<UploadStaged>(Assert.Single(outcome.Events));
        Assert.True(staged.ScanPending);
        Assert.True(outcome.Staged!.Scan);
        UploadRecordProjection.Apply(staged, record);
        Assert.Equal(ScanState.Scanning, record.Scan);
        Assert.Null(record.FilePath);

        // Scanned by routing (metadata), or scanning off: not pending.
        var scannedBefore = UploadDecisions.Outcome(record, new MoveResult(true, null), false, [], null, Now, scannedClean: true);
        Assert.False(scannedBefore.Staged!.Scan);
    }

    [Fact]
    public void A_load_brings_its_clean_verdict_recorded_before_the_routing()
    {
        var record = StagedUnscanned();
        Assert.Equal(new UploadScanned(record.Id, record.Tid, Now), DatabaseOutcomeDecisions.Scanned(record, scannedClean: true, Now));
        Assert.Null(DatabaseOutcomeDecisions.Scanned(record, scannedClean: false, Now)); // scanning off at the load: routed unscanned
        record.Scan = ScanState.Clean;
        Assert.Null(DatabaseOutcomeDecisions.Scanned(record, scannedClean: true, Now)); // scanned before it was staged
    }

    [Fact]
    public void A_refusal_without_a_verdict_is_scanned_first_a_clean_one_is_kept_as_scanned_a_blocked_one_is_quarantined()
    {
        var record = StagedUnscanned();
        var refused = new DatabaseFileRefused(record.Id, "ws1", "line 3: bad", Now);
        Assert.True(DatabaseOutcomeDecisions.MustScanBeforeKeeping(record, refused, scanningEnabled: true));
        Assert.False(DatabaseOutcomeDecisions.MustScanBeforeKeeping(record, refused with { Scanned = true }, scanningEnabled: true));
        Assert.False(DatabaseOutcomeDecisions.MustScanBeforeKeeping(record, refused, scanningEnabled: false));

        var slot = new InboxSlot("inbox/visits.csv", Ours: false);
        var (claim, keep) = DatabaseOutcomeDecisions.Refused(new RefusalState(record, slot, new ScanVerdict(null)), refused);
        Assert.NotNull(claim);
        Assert.True(keep!.Scanned);
        Assert.Equal(new UploadScanned(record.Id, record.Tid, Now), DatabaseOutcomeDecisions.Scanned(record, keep.Scanned, keep.At));

        // Malware, or clamd not answering: no claim, no move to the Inbox.
        Assert.Equal((null, null), DatabaseOutcomeDecisions.Refused(new RefusalState(record, slot, new ScanVerdict("Eicar")), refused));
        Assert.Equal((null, null), DatabaseOutcomeDecisions.Refused(new RefusalState(record, slot, ScannerDown: "down"), refused));
        var blocked = DatabaseOutcomeDecisions.Blocked(record, new QuarantineStagedUpload(record.Id, "Eicar", Now))!;
        Assert.Equal(RoutingRules.QuarantineLocation(record.Id), blocked.QuarantineLocation);
        UploadRecordProjection.Apply(blocked, record);
        Assert.Equal((UploadStatus.Rejected, ScanState.Blocked), (record.Status, record.Scan));
        Assert.Null(DatabaseOutcomeDecisions.Blocked(record, new QuarantineStagedUpload(record.Id, "Eicar", Now))); // once
    }
}
