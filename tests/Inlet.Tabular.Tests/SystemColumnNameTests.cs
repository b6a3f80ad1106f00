using Inlet.Tabular.Loading;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.Metadata;
using Xunit;

namespace Inlet.Tabular.Tests;

/// <summary>
/// Headers that are PostgreSQL system column names (issue #32): renamed by one rule, the header kept beside the new name,
/// and the rename reported. The list itself is checked against a real server in TableTextIsolationTests.
/// </summary>
public sealed class SystemColumnNameTests
{
    [Theory]
    [InlineData("xmin", "xmin_")]
    [InlineData("xmax", "xmax_")]
    [InlineData("cmin", "cmin_")]
    [InlineData("cmax", "cmax_")]
    [InlineData("ctid", "ctid_")]
    [InlineData("tableoid", "tableoid_")]
    [InlineData("XMIN", "xmin_")]
    [InlineData("TableOid", "tableoid_")]
    [InlineData("\"xmin\"", "xmin_")]
    [InlineData("  xmin  ", "xmin_")]
    [InlineData("[ctid]", "ctid_")]
    [InlineData("xmin_", "xmin_")] // an exported table's header names the same column again
    [InlineData("_xmin_", "xmin_")]
    [InlineData("oid", "oid")] // an ordinary name since PostgreSQL 12
    [InlineData("x_min", "x_min")]
    [InlineData("xmin value", "xmin_value")]
    [InlineData("bbox.xmin", "bbox_xmin")] // a Parquet struct's field
    [InlineData("ymin", "ymin")]
    public void A_system_column_name_gets_a_trailing_underscore(string header, string expected)
    {
        Assert.Equal(expected, SqlNames.Column(header));
        Assert.Equal(expected, SqlNames.Columns([header]).Single());
    }

    [Fact]
    public void A_bounding_box_header_row_keeps_its_order_and_only_the_system_names_change()
    {
        Assert.Equal(["id", "xmin_", "ymin", "xmax_", "ymax"], SqlNames.Columns(["id", "xmin", "ymin", "xmax", "ymax"]));
    }

    [Fact]
    public void Two_headers_that_both_become_xmin_underscore_are_numbered_as_any_duplicate()
    {
        Assert.Equal(["xmin_", "xmin_2"], SqlNames.Columns(["xmin", "XMIN"]));
        Assert.Equal(["xmin_", "xmin_2"], SqlNames.Columns(["xmin", "xmin_"]));
        // A header that is itself xmin_2 keeps its name; the second xmin takes the next free number.
        Assert.Equal(["xmin_", "xmin_2", "xmin_3"], SqlNames.Columns(["xmin", "xmin 2", "Xmin"]));
        Assert.Equal(["id", "id_2", "xmin_"], SqlNames.Columns(["id", "ID", "xmin"]));
    }

    [Fact]
    public void No_name_a_header_can_become_is_a_system_column()
    {
        string[] headers = ["xmin", "XMAX", "\"cmin\"", "cmax ", "ctid", "tableoid", "xmin_", "column", "", "xmin", "ctid", "Tableoid"];
        Assert.DoesNotContain(SqlNames.Columns(headers), SqlNames.SystemColumns.Contains);
        Assert.All(headers, h => Assert.False(SqlNames.SystemColumns.Contains(SqlNames.Column(h)), h));
    }

    [Fact]
    public void The_renames_name_each_header_and_the_column_it_became_but_not_a_header_already_written_so()
    {
        string[] headers = ["id", "xmin", "ymin", "XMAX", "ymax", "xmin_", "ctid_"];
        var names = SqlNames.Columns(headers);

        Assert.Equal([new("xmin", "xmin_"), new("XMAX", "xmax_"), new("xmin_", "xmin_2")], SqlNames.SystemRenames(headers, names));
        Assert.Empty(SqlNames.SystemRenames(["id", "xmin_"], SqlNames.Columns(["id", "xmin_"])));
    }

    [Fact]
    public void A_renamed_column_keeps_its_header_as_title_and_description_unless_metadata_gives_its_own()
    {
        IReadOnlyList<RenamedColumn> renamed = [new("xmin", "xmin_")];

        Assert.Equal(new TableColumn("xmin_", "integer", "xmin", "xmin"), TableColumn.Loaded("xmin_", "integer", "xmin", null, renamed));
        Assert.Equal(new TableColumn("ymin", "integer", null, "ymin"), TableColumn.Loaded("ymin", "integer", "ymin", null, renamed));
        var described = Field("xmin") with { Title = "Left edge", Description = "Metres east of the origin" };
        Assert.Equal(new TableColumn("xmin_", "integer", "Left edge", "Metres east of the origin"), TableColumn.Loaded("xmin_", "integer", "xmin", described, renamed));
        Assert.Equal(new TableColumn("xmin_", "integer", "xmin", "Metres"), TableColumn.Loaded("xmin_", "integer", "xmin", Field("xmin") with { Description = "Metres" }, renamed));
        Assert.Equal("xmin", TableColumn.Comment("xmin", null));
        Assert.Equal("Metres", TableColumn.Comment("xmin", Field("xmin") with { Description = "Metres" }));
    }

    [Fact]
    public void A_load_that_renamed_columns_says_so_in_its_event_the_audit_and_the_upload_note()
    {
        var now = new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
        var csv = new Inlet.Tabular.ReceiveFile.StagedTableFile
        {
            Id = Guid.CreateVersion7(now), Tid = Guid.CreateVersion7(now), Wsid = "ws1", Name = "boxes.csv", Container = "upload-x", Path = "boxes.csv",
            Kind = Inlet.Tabular.ReceiveFile.TableFileKind.Csv, ArrivedAt = now.AddSeconds(-20), Size = 100,
        };
        var subject = new TableLoadSubject(csv, null, null, null, false);
        IReadOnlyList<RenamedColumn> renamed = [new("xmin", "xmin_"), new("XMAX", "xmax_")];
        var outcome = new LoadOutcome(3, [new TableColumn("xmin_", "integer", "xmin", "xmin")], 1, 1, LoadMode.Replace, null, null, Renamed: renamed);

        var record = TableLoadDecisions.Record(new LoadTable.LoadTable(csv.Id), subject, TableLoadDecisions.Plan(subject, now), new TableLoadResult(outcome, null), now);

        var loaded = Assert.IsType<TableLoaded>(record.Event);
        Assert.Equal(renamed, loaded.RenamedColumns);
        var note = Assert.IsType<Contracts.DatabaseFileLoaded>(Assert.Single(record.Messages)).Note;
        Assert.Equal("Column 'xmin' was loaded as column xmin_: PostgreSQL reserves that name for a system column. "
            + "Column 'XMAX' was loaded as column xmax_: PostgreSQL reserves that name for a system column.", note);
        var audit = Catalogue.TableAudit.Map(new JasperFx.Events.Event<TableLoaded>(loaded))!;
        Assert.Equal(renamed, audit.Entry!.Details["renamed_columns"]);
        // A load without renames has no such key, so its audit entry reads as before.
        var plain = Catalogue.TableAudit.Map(new JasperFx.Events.Event<TableLoaded>(loaded with { RenamedColumns = null }))!;
        Assert.False(plain.Entry!.Details.ContainsKey("renamed_columns"));
    }

    private static FieldDefinition Field(string name) =>
        new(name, ColumnType.Integer, null, null, null, false, false, null, null, null, null, null, null, null, null);
}
