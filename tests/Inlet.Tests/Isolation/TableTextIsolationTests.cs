using Inlet.Tabular.Loading;
using Npgsql;
using ParquetSharp;

namespace Inlet.Tests.Isolation;

/// <summary>
/// Issue #32, hostile table text, end to end (the real AzCopy, Azurite, the Host and the workspace database): headers named
/// like PostgreSQL's system columns load renamed instead of refusing the file, and a table's CSV download cannot run a
/// formula in the spreadsheet that opens it (docs/adr/0033).
/// </summary>
public sealed class TableTextIsolationTests(InletApp app) : IClassFixture<InletApp>
{
    private async Task<(HttpClient Client, string Ws, JsonElement Token)> DatabaseToken(string reason = "bounding boxes")
    {
        var ws = InletApp.NewWorkspace("tabtext");
        var alice = await app.SignedIn("alice", ws);
        return (alice, ws, await alice.Issue(ws, new { reason, upload_to_database = true }));
    }

    private static async Task<Dictionary<string, JsonElement>> Tables(HttpClient client, string ws) =>
        (await client.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().ToDictionary(t => t.Str("name"));

    private static string[] Names(JsonElement table) => [.. table.GetProperty("columns").EnumerateArray().Select(c => c.Str("name"))];

    private static JsonElement Column(JsonElement table, string name) => table.GetProperty("columns").EnumerateArray().Single(c => c.Str("name") == name);

    private static string? Text(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.Str(name);

    /// <summary>A value read in the workspace's schema of the workspace database, as Inlet's own login sees it.</summary>
    private async Task<string?> WorkspaceScalar(string? ws, string sql)
    {
        // No workspace: a question about the server itself, asked in Inlet's own database.
        await using var connection = new NpgsqlConnection(ws is null ? app.Postgres : app.WorkspaceDatabase(ws));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", $"\"ws_{ws?.Replace('-', '_')}\"", StringComparison.Ordinal), connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private static string[] Renames(JsonElement renamed) =>
        [.. renamed.EnumerateArray().Select(r => $"{r.Str("header")} → {r.Str("column")}")];

    private static void Routed(List<JsonElement> uploads) =>
        Assert.All(uploads.Settled(), u => Assert.True(u.Str("status") == "routed", u.GetRawText()));

    private static byte[] ShapesParquet()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("parquet-").FullName, "shapes.parquet");
        using (var writer = new ParquetFileWriter(path, [new Column<int>("id"), new Column<double>("xmin"), new Column<string>("Ctid")]))
        {
            using var group = writer.AppendRowGroup();
            using (var id = group.NextColumn().LogicalWriter<int>())
                id.WriteBatch(new[] { 1, 2 });
            using (var xmin = group.NextColumn().LogicalWriter<double>())
                xmin.WriteBatch(new[] { 0.5, -1.25 });
            using (var ctid = group.NextColumn().LogicalWriter<string>())
                ctid.WriteBatch(new[] { "(0,1)", "(0,2)" });
            writer.Close();
        }
        return File.ReadAllBytes(path);
    }

    [Fact]
    public async Task The_system_column_list_is_PostgreSQLs_own()
    {
        var server = await WorkspaceScalar(null, "select string_agg(attname, ',' order by attname) from pg_attribute where attrelid = 'pg_class'::regclass and attnum < 0");
        Assert.Equal(server, string.Join(',', SqlNames.SystemColumns.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Headers_named_like_system_columns_load_renamed_with_the_header_kept_from_CSV_Table_Schema_Data_Package_XML_and_Parquet()
    {
        var (alice, ws, token) = await DatabaseToken();
        var definitions = LocalFiles.Folder(
            ("tiles.schema.json", """
                { "fields": [
                    { "name": "id", "type": "integer" },
                    { "name": "xmin", "type": "integer" },
                    { "name": "XMAX", "type": "integer", "title": "Right edge", "description": "Metres east of the origin" } ],
                  "primaryKey": ["xmin"] }
                """),
            ("pkg/datapackage.json", """
                { "name": "pkg", "resources": [ { "path": "regions.csv", "name": "regions", "schema": {
                    "fields": [ { "name": "ctid", "type": "string" }, { "name": "tableoid", "type": "integer" } ],
                    "primaryKey": "ctid" } } ] }
                """),
            ("grid.xml", """
                <TableDefinition TableName="grid">
                  <Columns><Column Name="cmin" Type="integer" /><Column Name="&quot;CMAX&quot;" Type="integer" /></Columns>
                </TableDefinition>
                """));
        Routed(await app.Host.UploadUntilDecided(alice, token, definitions, 3, 90));
        var data = LocalFiles.Folder([
            ("boxes.csv", "id,xmin,ymin,xmax,ymax\n1,3,4,10,25\n2,7,9,30,40\n"u8.ToArray()),
            ("tiles.csv", "id,xmin,XMAX\n1,3,10\n2,10,20\n"u8.ToArray()),
            ("pkg/regions.csv", "ctid,tableoid\nA,1\nB,2\n"u8.ToArray()),
            ("grid.csv", "cmin,\"\"\"CMAX\"\"\"\n1,2\n"u8.ToArray()),
            ("shapes.parquet", ShapesParquet()),
            ("ymin_free.csv", "id,ymin\n1,4\n"u8.ToArray())]);
        var uploads = await app.Host.UploadUntilDecided(alice, token, data, 6, 90);
        Routed(uploads);

        var tables = await Tables(alice, ws);
        Assert.Equal(["id", "xmin_", "ymin", "xmax_", "ymax"], Names(tables["boxes"]));
        Assert.Equal(["id", "xmin_", "xmax_"], Names(tables["tiles"]));
        Assert.Equal(["ctid_", "tableoid_"], Names(tables["regions"]));
        Assert.Equal(["cmin_", "cmax_"], Names(tables["grid"]));
        Assert.Equal(["id", "xmin_", "ctid_"], Names(tables["shapes"]));

        // The header stays beside the new name: as title and description, unless the metadata gave its own.
        Assert.Equal(("xmin", "xmin"), (Text(Column(tables["boxes"], "xmin_"), "title"), Text(Column(tables["boxes"], "xmin_"), "description")));
        Assert.Equal((null, "ymin"), (Text(Column(tables["boxes"], "ymin"), "title"), Text(Column(tables["boxes"], "ymin"), "description")));
        Assert.Equal(("xmin", "xmin"), (Text(Column(tables["tiles"], "xmin_"), "title"), Text(Column(tables["tiles"], "xmin_"), "description")));
        Assert.Equal(("Right edge", "Metres east of the origin"), (Text(Column(tables["tiles"], "xmax_"), "title"), Text(Column(tables["tiles"], "xmax_"), "description")));
        Assert.Equal("\"CMAX\"", Text(Column(tables["grid"], "cmax_"), "title"));
        Assert.Equal("Ctid", Text(Column(tables["shapes"], "ctid_"), "title"));
        Assert.Equal("xmin", await WorkspaceScalar(ws, "select col_description('{schema}.boxes'::regclass, 2)"));
        Assert.Equal("Metres east of the origin", await WorkspaceScalar(ws, "select col_description('{schema}.tiles'::regclass, 3)"));

        // A primaryKey naming the header keys the renamed column; the values are the file's.
        Assert.Equal("PRIMARY KEY (xmin_)", await WorkspaceScalar(ws, "select pg_get_constraintdef(oid) from pg_constraint where conrelid = '{schema}.tiles'::regclass and contype = 'p'"));
        Assert.Equal("PRIMARY KEY (ctid_)", await WorkspaceScalar(ws, "select pg_get_constraintdef(oid) from pg_constraint where conrelid = '{schema}.regions'::regclass and contype = 'p'"));
        Assert.Equal("3,10|7,30", await WorkspaceScalar(ws, "select string_agg(xmin_ || ',' || xmax_, '|' order by id) from {schema}.boxes"));
        Assert.Equal("0.5|-1.25", await WorkspaceScalar(ws, "select string_agg(xmin_::text, '|' order by id) from {schema}.shapes"));

        // The load says what it renamed: in the upload's note, the audit's table_loaded and the workspace database's loads.
        var boxes = uploads.Single(u => u.Str("name") == "boxes.csv");
        Assert.Contains("Column 'xmin' was loaded as column xmin_", boxes.Str("note"));
        Assert.Contains("Column 'xmax' was loaded as column xmax_", boxes.Str("note"));
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit?type=table_loaded")).GetProperty("entries").EnumerateArray()
            .ToDictionary(e => e.Str("table"));
        Assert.Equal(["xmin → xmin_", "xmax → xmax_"], Renames(audit["boxes"].GetProperty("details").GetProperty("renamed_columns")));
        Assert.Equal(["xmin → xmin_", "Ctid → ctid_"], Renames(audit["shapes"].GetProperty("details").GetProperty("renamed_columns")));
        Assert.False(audit["ymin_free"].GetProperty("details").TryGetProperty("renamed_columns", out _), "a load without renames has no renamed_columns");
        var recorded = await WorkspaceScalar(ws, $"select outcome->'renamed' from inlet_tabular.loads where wsid = '{ws}' and table_name = 'boxes'");
        Assert.Equal(["xmin → xmin_", "xmax → xmax_"], Renames(JsonDocument.Parse(recorded!).RootElement));
    }

    [Fact]
    public async Task Appending_a_file_with_a_system_column_header_fills_the_same_renamed_column()
    {
        var (alice, ws, token) = await DatabaseToken();
        Routed(await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("boxes.csv", "id,xmin,ymin,xmax,ymax\n1,3,4,10,25\n")), 1, 90));
        Routed(await app.Host.UploadDefinitionsFirst(alice, token,
            [("more.schema.json", """
                { "name": "boxes", "mode": "append", "fields": [
                    { "name": "id", "type": "integer", "postgresType": "integer" }, { "name": "XMIN", "type": "integer", "postgresType": "integer" },
                    { "name": "ymin", "type": "integer", "postgresType": "integer" }, { "name": "xmax", "type": "integer", "postgresType": "integer" },
                    { "name": "ymax", "type": "integer", "postgresType": "integer" } ] }
                """), ("more.csv", "ID,XMIN,ymin,\"xmax\",ymax\n2,7,9,30,40\n")], 90));

        var boxes = (await Tables(alice, ws))["boxes"];
        Assert.Equal(["id", "xmin_", "ymin", "xmax_", "ymax"], Names(boxes));
        Assert.Equal(2, boxes.GetProperty("rows").GetInt64());
        Assert.Equal("3,10|7,30", await WorkspaceScalar(ws, "select string_agg(xmin_ || ',' || xmax_, '|' order by id) from {schema}.boxes"));
    }

    private const string Formulas =
        "id,label,amount\n"
        + "1,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",-5\n"
        + "2,\"=cmd|' /C calc'!A0\",3\n"
        + "3,+1+1,-0.5\n"
        + "4,@SUM(1+1),7\n"
        + "5,plain,8\n";

    private static string[] Lines(string csv) => csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task A_table_download_is_safe_to_open_in_a_spreadsheet_and_raw_true_gives_the_exact_values()
    {
        // A token reason that starts with "-" and a digit: the audit's CSV guarded it only when no digit followed.
        var (alice, ws, token) = await DatabaseToken("-2+3+cmd|' /C calc'!A0");
        Routed(await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("links.csv", Formulas)), 1, 90));
        Assert.Equal("numeric", Column((await Tables(alice, ws))["links"], "amount").Str("type"));

        var safe = await alice.GetAsync($"/api/workspaces/{ws}/tables/links/export?format=csv");
        Assert.Equal("text/csv", safe.Content.Headers.ContentType?.MediaType);
        string[] guarded = [
            "id,label,amount",
            "1,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\",-5",
            "2,'=cmd|' /C calc'!A0,3",
            "3,'+1+1,-0.5",
            "4,'@SUM(1+1),7",
            "5,plain,8"];
        Assert.Equal(guarded.Order(StringComparer.Ordinal), Lines(await safe.Content.ReadAsStringAsync()).Order(StringComparer.Ordinal));

        var raw = await alice.GetStringAsync($"/api/workspaces/{ws}/tables/links/export?format=csv&raw=true");
        Assert.Equal(Lines(Formulas).Select(l => l.Replace("\"=cmd|' /C calc'!A0\"", "=cmd|' /C calc'!A0")).Order(StringComparer.Ordinal),
            Lines(raw).Order(StringComparer.Ordinal));
        Assert.Equal(Lines(raw), Lines(await alice.GetStringAsync($"/api/workspaces/{ws}/tables/links/export?format=csv&raw=false"))
            .Select(l => l.Replace(",'", ",", StringComparison.Ordinal).Replace(",\"'", ",\"", StringComparison.Ordinal)));

        // The exact form is asked for by name only; anything else is refused rather than read as one form or the other.
        foreach (var query in new[] { "format=csv&raw=1", "format=csv&raw=yes", "format=schema&raw=true", "format=xml&raw=false" })
        {
            var refused = await alice.GetAsync($"/api/workspaces/{ws}/tables/links/export?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("raw", await refused.Content.ReadAsStringAsync());
        }

        // Who took the exact form is in the audit; the audit's own CSV follows the same rule.
        var exports = (await alice.GetJson($"/api/workspaces/{ws}/audit?type=table_exported")).GetProperty("entries").EnumerateArray()
            .Select(e => e.GetProperty("details").TryGetProperty("raw", out var r) ? r.GetString() : null).ToList();
        Assert.Equal([null, "true", null], exports);
        var auditCsv = await alice.GetStringAsync($"/api/workspaces/{ws}/audit?format=csv&type=issued");
        Assert.Contains(",'-2+3+cmd|' /C calc'!A0", auditCsv);
    }
}
