using Inlet.Tabular.Catalogue;
using Inlet.Tabular.Contracts;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.Metadata;
using Inlet.Tabular.ReceiveFile;
using Wolverine;
using Xunit;
using LoadTableCommand = Inlet.Tabular.LoadTable.LoadTable;

namespace Inlet.Tabular.Tests;

/// <summary>The table load's decisions called directly: before the load (what to do) and after it (what to record).</summary>
public sealed class TableLoadDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private static StagedTableFile Csv(string name = "site-a/visits.csv") => new()
    {
        Id = Guid.CreateVersion7(Now), Tid = Guid.CreateVersion7(Now), Wsid = "ws1", Name = name, Container = "upload-x", Path = name,
        Kind = TableFileKind.Csv, ArrivedAt = Now.AddSeconds(-20), Size = 100,
    };

    private static TableDefinition Schema(LoadMode mode = LoadMode.Replace) =>
        new("visits", "Visits", null, mode, [], [""], [], Delimiter: null);

    private static (StagedTableFile, TableDefinition) Metadata(TableDefinition definition) =>
        (new StagedTableFile { Id = Guid.CreateVersion7(Now), Name = "site-a/visits.schema.json", Kind = TableFileKind.TableSchema }, definition);

    private static LoadOutcome Outcome(LoadMode mode = LoadMode.Replace) => new(7, [new TableColumn("id", "integer", null, "id")], 10, 10, mode, "Visits", null);

    [Fact]
    public void An_unknown_or_refused_file_is_left_alone()
    {
        Assert.Equal(TableLoadStep.Nothing, TableLoadDecisions.Plan(new TableLoadSubject(null, null, null, null, false), Now).Step);
        var refused = Csv();
        refused.Refused = true;
        Assert.Equal(TableLoadStep.Nothing, TableLoadDecisions.Plan(new TableLoadSubject(refused, null, null, null, false), Now).Step);
    }

    [Fact]
    public void A_first_load_waits_for_metadata_still_being_routed_but_not_once_the_metadata_is_there()
    {
        var csv = Csv();
        Assert.Equal(TableLoadStep.WaitForMetadata, TableLoadDecisions.Plan(new TableLoadSubject(csv, null, null, null, AwaitsMetadata: true), Now).Step);
        var plan = TableLoadDecisions.Plan(new TableLoadSubject(csv, Metadata(Schema()), null, null, AwaitsMetadata: false), Now);
        Assert.Equal(TableLoadStep.Load, plan.Step);
        Assert.Equal("visits", plan.Table);
        Assert.False(plan.WatchForLateMetadata);
    }

    [Fact]
    public void An_inferred_load_inside_the_grace_watches_for_late_metadata_and_one_after_it_does_not()
    {
        var csv = Csv();
        csv.GraceEndsAt = Now.AddSeconds(5);
        var inGrace = TableLoadDecisions.Plan(new TableLoadSubject(csv, null, null, null, false), Now);
        Assert.True(inGrace.WatchForLateMetadata);
        Assert.Equal($"{csv.Id:N}/inferred", inGrace.Key);
        Assert.False(TableLoadDecisions.Plan(new TableLoadSubject(csv, null, null, null, false), Now.AddSeconds(6)).WatchForLateMetadata);
    }

    [Fact]
    public void The_same_load_twice_does_nothing_and_late_metadata_reloads_only_while_the_file_is_still_the_tables_content()
    {
        var csv = Csv();
        csv.LoadedKey = $"{csv.Id:N}/inferred";
        csv.Table = "visits";
        csv.LoadedMode = LoadMode.Replace;
        Assert.Equal(TableLoadStep.Nothing, TableLoadDecisions.Plan(new TableLoadSubject(csv, null, null, null, false), Now).Step);

        var metadata = Metadata(Schema());
        var ours = new WorkspaceTable { UploadId = csv.Id };
        var replacedSince = new WorkspaceTable { UploadId = Guid.CreateVersion7(Now) };
        Assert.Equal(TableLoadStep.Load, TableLoadDecisions.Plan(new TableLoadSubject(csv, metadata, null, ours, false), Now).Step);
        Assert.Equal(TableLoadStep.Nothing, TableLoadDecisions.Plan(new TableLoadSubject(csv, metadata, null, replacedSince, false), Now).Step);
        // Appending the same rows again would double them.
        Assert.Equal(TableLoadStep.Nothing, TableLoadDecisions.Plan(new TableLoadSubject(csv, Metadata(Schema(LoadMode.Append)), null, ours, false), Now).Step);
    }

    [Fact]
    public void A_file_whose_metadata_was_refused_is_refused_with_the_reason_without_being_read()
    {
        var csv = Csv();
        var sidecar = new StagedTableFile { Name = "site-a/visits.schema.json", Refused = true, RefusedReason = "field 2 has no type." };
        var plan = TableLoadDecisions.Plan(new TableLoadSubject(csv, null, sidecar, null, AwaitsMetadata: true), Now);
        Assert.Equal(TableLoadStep.Load, plan.Step);
        Assert.Contains("field 2 has no type.", plan.RefusedBecause);
        Assert.Contains("visits.schema.json", plan.RefusedBecause);
    }

    [Fact]
    public void A_load_records_its_marker_the_files_state_the_tables_event_and_announces_the_rows()
    {
        var csv = Csv();
        var subject = new TableLoadSubject(csv, null, null, null, false);
        var plan = TableLoadDecisions.Plan(subject, Now);

        var record = TableLoadDecisions.Record(new LoadTableCommand(csv.Id), subject, plan, new TableLoadResult(Outcome(), null), Now);

        Assert.Equal(plan.Key, record.Marker!.Id);
        Assert.Equal(plan.Key, record.Csv!.LoadedKey);
        Assert.Equal(LoadMode.Replace, record.Csv.LoadedMode);
        var loaded = Assert.IsType<TableLoaded>(record.Event);
        Assert.Equal((WorkspaceTable.IdFor("ws1", "visits"), 10L, 7L), (loaded.TableId, loaded.Rows, loaded.Sequence));
        var announced = Assert.IsType<DatabaseFileLoaded>(Assert.Single(record.Messages));
        Assert.Equal((csv.Id, (long?)10L, (string?)null), (announced.UploadId, announced.RowsLoaded, announced.Note));
    }

    [Fact]
    public void A_failed_first_load_refuses_the_file_and_a_failed_reload_keeps_the_table_as_it_was()
    {
        var csv = Csv();
        var subject = new TableLoadSubject(csv, null, null, null, false);
        var first = TableLoadDecisions.Record(new LoadTableCommand(csv.Id), subject, TableLoadDecisions.Plan(subject, Now), new TableLoadResult(null, "line 3: bad"), Now);
        Assert.True(first.Csv!.Refused);
        Assert.IsType<TableLoadFailed>(first.Event);
        Assert.Equal("line 3: bad", Assert.IsType<DatabaseFileRefused>(Assert.Single(first.Messages)).Reason);

        var loaded = Csv();
        loaded.LoadedKey = $"{loaded.Id:N}/inferred";
        loaded.Table = "visits";
        var reload = new TableLoadSubject(loaded, Metadata(Schema()), null, new WorkspaceTable { UploadId = loaded.Id }, false);
        var again = TableLoadDecisions.Record(new LoadTableCommand(loaded.Id), reload, TableLoadDecisions.Plan(reload, Now), new TableLoadResult(null, "line 3: bad"), Now);
        Assert.False(again.Csv!.Refused);
        Assert.IsType<TableLoadFailed>(again.Event);
        Assert.Empty(again.Messages);
    }

    [Fact]
    public void A_load_superseded_by_late_metadata_records_nothing_and_runs_again()
    {
        var csv = Csv();
        var command = new LoadTableCommand(csv.Id);
        var subject = new TableLoadSubject(csv, null, null, null, false);
        var record = TableLoadDecisions.Record(command, subject, TableLoadDecisions.Plan(subject, Now), TableLoadResult.Superseded, Now);
        Assert.Null(record.Marker);
        Assert.Null(record.Event);
        Assert.Same(command, Assert.Single(record.Messages));
    }

    [Fact]
    public void The_note_says_when_the_file_was_not_utf8_and_how_many_rows_were_rejected()
    {
        var csv = Csv();
        var subject = new TableLoadSubject(csv, null, null, null, false);
        var outcome = Outcome() with { RowsRejected = 2, Encoding = "windows-1252" };
        var record = TableLoadDecisions.Record(new LoadTableCommand(csv.Id), subject, TableLoadDecisions.Plan(subject, Now), new TableLoadResult(outcome, null), Now);
        var note = Assert.IsType<DatabaseFileLoaded>(Assert.Single(record.Messages)).Note;
        Assert.Contains("read as windows-1252", note);
        Assert.Contains("2 row(s) could not be loaded", note);
    }
}
