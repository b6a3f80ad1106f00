using Npgsql;

namespace Inlet.Tests.Tabular;

/// <summary>Export a table as CSV plus its XML DatasetDefinition or Table Schema, upload that again: the same table.</summary>
public sealed class ExportRoundTripTests(InletApp app) : IClassFixture<InletApp>
{
    private const string Csv = "id,amount,ratio,day,seen,seen_utc,at,ok,note\n"
        + "1,10.50,0.125,2026-01-02,2026-01-02 03:04:05,2026-01-02T03:04:05+02:00,08:30:00,true,\"comma, and \"\"quotes\"\"\"\n"
        + "2,-3,1e-3,2025-12-31,2025-12-31 23:59:59.5,2025-12-31T23:59:59Z,23:59:59,false,\"two\nlines\"\n"
        + "3,,,,,,,,\n"
        + "4,-7,,,,,,,\"=HYPERLINK(\"\"http://evil.example\"\")\"\n"; // a formula-like text the raw export keeps exactly
    private const string Schema = """
        { "title": "Measurements", "description": "All kinds of values",
          "fields": [
            { "name": "id", "type": "integer", "postgresType": "integer", "title": "Id", "description": "Row number" },
            { "name": "amount", "type": "number" },
            { "name": "ratio", "type": "number", "postgresType": "double precision" },
            { "name": "day", "type": "date" },
            { "name": "seen", "type": "datetime", "postgresType": "timestamp" },
            { "name": "seen_utc", "type": "datetime" },
            { "name": "at", "type": "time" },
            { "name": "ok", "type": "boolean" },
            { "name": "note", "type": "string" } ] }
        """;

    private async Task<(HttpClient Client, string Ws, JsonElement Token)> Workspace(string prefix)
    {
        var ws = InletApp.NewWorkspace(prefix);
        var client = await app.SignedIn("alice", ws);
        return (client, ws, await client.Issue(ws, new { reason = "round trip", upload_to_database = true }));
    }

    private async Task<JsonElement> UploadAndWait(HttpClient client, string ws, JsonElement token, params (string Name, string Content)[] files)
    {
        var uploads = await app.Host.UploadDefinitionsFirst(client, token, files);
        Assert.Equal(files.Length, uploads.Count);
        Assert.All(uploads, u => Assert.True(u.Str("status") == "routed", u.GetRawText()));
        return (await client.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().Single(t => t.Str("name") == "measurements");
    }

    private async Task<string> RowChecksum(string ws)
    {
        await using var connection = new NpgsqlConnection(app.WorkspaceDatabase(ws));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select md5(string_agg(t::text, E'\\n' order by t::text)) from \"ws_{ws.Replace('-', '_')}\".measurements t", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static string Shape(JsonElement table) =>
        $"{table.Str("title")}|{table.Str("description")}|{table.GetProperty("rows")}|" + string.Join(";", table.GetProperty("columns").EnumerateArray()
            .Select(c => $"{c.Str("name")}:{c.Str("type")}:{c.GetProperty("title")}:{c.GetProperty("description")}"));

    [Theory]
    [InlineData("xml", "measurements.xml")]
    [InlineData("schema", "measurements.schema.json")]
    public async Task Export_then_re_upload_yields_an_identical_table(string format, string definitionFile)
    {
        var (client, ws, token) = await Workspace("export");
        var original = await UploadAndWait(client, ws, token, ("measurements.csv", Csv), ("measurements.schema.json", Schema));
        Assert.Equal("integer,numeric,double precision,date,timestamp without time zone,timestamp with time zone,time without time zone,boolean,text",
            string.Join(",", original.GetProperty("columns").EnumerateArray().Select(c => c.Str("type"))));

        // The exact values (raw=true), as a machine round trip needs them; the default is the spreadsheet-safe form (ADR 33).
        var csv = await client.GetStringAsync($"/api/workspaces/{ws}/tables/measurements/export?format=csv&raw=true");
        var definition = await client.GetStringAsync($"/api/workspaces/{ws}/tables/measurements/export?format={format}");
        Assert.DoesNotContain("sig=", csv + definition);

        var (client2, ws2, token2) = await Workspace("reimport");
        var copy = await UploadAndWait(client2, ws2, token2, ("measurements.csv", csv), (definitionFile, definition));
        Assert.Equal(Shape(original), Shape(copy));
        Assert.Equal(await RowChecksum(ws), await RowChecksum(ws2));
    }

    [Fact]
    public async Task Export_names_what_it_cannot_do()
    {
        var (client, ws, _) = await Workspace("exportbad");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/workspaces/{ws}/tables/x/export?format=pdf")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/workspaces/{ws}/tables/x/export?format=csv")).StatusCode);
    }
}
