using Inlet.Tabular.Contracts;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.Metadata;
using Inlet.Tabular.ReceiveFile;
using Wolverine;
using Xunit;
using LoadTableCommand = Inlet.Tabular.LoadTable.LoadTable;

namespace Inlet.Tabular.Tests;

/// <summary>What a load scanned in its own read records (docs/adr/0037), decided directly.</summary>
public sealed class LoadScanRecordTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private static (StagedTableFile Csv, TableLoadSubject Subject, TableLoadPlan Plan) Loading()
    {
        var csv = new StagedTableFile
        {
            Id = Guid.CreateVersion7(Now), Tid = Guid.CreateVersion7(Now), Wsid = "ws1", Name = "visits.csv", Container = "ws-x", Path = ".database/x/visits.csv",
            Kind = TableFileKind.Csv, ArrivedAt = Now.AddSeconds(-20), Size = 100, ScanPending = true,
        };
        var subject = new TableLoadSubject(csv, null, null, null, false);
        return (csv, subject, TableLoadDecisions.Plan(subject, Now));
    }

    [Fact]
    public void A_load_the_scan_blocked_records_no_table_event_refuses_the_file_for_good_and_tells_Ingestion()
    {
        var (csv, subject, plan) = Loading();
        var record = TableLoadDecisions.Record(new LoadTableCommand(csv.Id), subject, plan, new TableLoadResult(null, null, BlockedBy: "Eicar-Test-Signature"), Now);

        Assert.Null(record.Event);
        Assert.Equal(plan.Key, record.Marker!.Id);
        Assert.True(record.Csv!.Refused);
        Assert.Equal("Eicar-Test-Signature", record.Csv.BlockedBy);
        Assert.Equal(new DatabaseFileBlocked(csv.Id, "ws1", "Eicar-Test-Signature", Now), Assert.Single(record.Messages));
        Assert.Equal(TableLoadStep.Nothing, TableLoadDecisions.Plan(new TableLoadSubject(record.Csv, null, null, null, false), Now).Step);
    }

    [Fact]
    public void A_load_whose_scanner_was_down_records_nothing_and_runs_again_later()
    {
        var (csv, subject, plan) = Loading();
        var command = new LoadTableCommand(csv.Id);
        var record = TableLoadDecisions.Record(command, subject, plan, new TableLoadResult(null, null, ScannerDown: "clamd is not reachable"), Now, TimeSpan.FromSeconds(7));

        Assert.Null(record.Marker);
        Assert.Null(record.Csv);
        Assert.Null(record.Event);
        var again = Assert.IsType<DeliveryMessage<LoadTableCommand>>(Assert.Single(record.Messages));
        Assert.Equal(command, again.Message);
        Assert.Equal(TimeSpan.FromSeconds(7), again.Options.ScheduleDelay);
    }

    [Fact]
    public void A_clean_load_says_so_and_its_reloads_do_not_scan_again_a_refusal_carries_its_verdict()
    {
        var (csv, subject, plan) = Loading();
        var outcome = new LoadOutcome(7, [new TableColumn("id", "integer", null, "id")], 10, 10, LoadMode.Replace, null, null);
        var record = TableLoadDecisions.Record(new LoadTableCommand(csv.Id), subject, plan,
            new TableLoadResult(outcome, null, Scanned: true, Scan: new LoadScan(1.5, 0.2)), Now);
        Assert.True(Assert.IsType<DatabaseFileLoaded>(Assert.Single(record.Messages)).Scanned);
        Assert.False(record.Csv!.ScanPending);
        Assert.Equal(new LoadScan(1.5, 0.2), Assert.IsType<TableLoaded>(record.Event).Scan);

        var (other, otherSubject, otherPlan) = Loading();
        var refused = TableLoadDecisions.Record(new LoadTableCommand(other.Id), otherSubject, otherPlan, new TableLoadResult(null, "line 3: bad", Scanned: true), Now);
        Assert.True(Assert.IsType<DatabaseFileRefused>(Assert.Single(refused.Messages)).Scanned);
    }
}
