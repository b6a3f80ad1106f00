using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Inlet.Tests.Tabular;

/// <summary>
/// Files as R, pandas, Excel, Stata and psql write them, with no metadata: each loads with the types a
/// person expects (missing markers as NULL, t/f and TRUE/FALSE as booleans), and the token's bad_rows
/// setting overrides the default for rows that cannot be loaded.
/// </summary>
public sealed class EverydayExportsTests(InletApp app) : IClassFixture<InletApp>
{
    private static readonly (string File, byte[] Bytes, string[] Types)[] Exports =
    [
        // R: write.csv(df) quotes text, writes row names in an unnamed first column, NA for missing, TRUE/FALSE.
        ("r_write_csv.csv", Encoding.UTF8.GetBytes("\"\",\"id\",\"weight\",\"smoker\",\"visit\",\"site\"\n\"1\",1,70.5,TRUE,2026-01-02,\"Oslo\"\n\"2\",2,NA,FALSE,NA,\"Bergen, West\"\n\"3\",3,81,NA,2026-01-04,NA\n"),
            ["integer", "integer", "numeric", "boolean", "date", "text"]),
        // pandas: df.to_csv() writes the index unnamed, empty fields for NaN and True/False.
        ("pandas_to_csv.csv", Encoding.UTF8.GetBytes(",id,weight,flag,when\n0,1,70.5,True,2026-01-02 10:30:00\n1,2,,False,\n2,3,66.25,True,2026-01-03 11:00:00\n"),
            ["integer", "integer", "numeric", "boolean", "timestamp without time zone"]),
        // Excel "CSV UTF-8" in a European locale: byte order mark, CRLF, semicolons.
        ("excel_export.csv", [.. new UTF8Encoding(true).GetPreamble(), .. Encoding.UTF8.GetBytes("id;name;count;day\r\n1;Zoë;12;2026-01-02\r\n2;\"Lee; Ann\";7;2026-01-03\r\n")],
            ["integer", "text", "integer", "date"]),
        // Stata: export delimited writes "." for missing numbers.
        ("stata_export.csv", Encoding.UTF8.GetBytes("id,weight,group\n1,70.5,a\n2,.,b\n3,81.2,.\n"), ["integer", "numeric", "text"]),
        // psql: \copy ... to 'f.csv' csv header writes t/f booleans and zoned timestamps.
        ("psql_copy.csv", Encoding.UTF8.GetBytes("id,active,created,note\n1,t,2026-01-02 10:00:00+00,\n2,f,2026-01-03 09:15:00+01,\"a, b\"\n3,,,x\n"),
            ["integer", "boolean", "timestamp with time zone", "text"]),
    ];

    [Fact]
    public async Task Exports_of_everyday_tools_load_with_the_expected_types()
    {
        var ws = InletApp.NewWorkspace("exports");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "tool exports", upload_to_database = true });
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(Exports.Select(e => (e.File, e.Bytes))), Exports.Length);
        var tables = await Tables(alice, ws);
        Assert.Equal(Exports.Length, tables.Count);
        foreach (var (file, _, types) in Exports)
        {
            var table = tables[Path.GetFileNameWithoutExtension(file)];
            Assert.Equal(types, table.GetProperty("columns").EnumerateArray().Select(c => c.Str("type")));
            Assert.Equal(0, table.GetProperty("rows_rejected").GetInt64());
        }
        var r = await alice.GetJson($"/api/workspaces/{ws}/tables/r_write_csv/rows");
        Assert.Equal(JsonValueKind.Null, r.GetProperty("rows")[1][2].ValueKind); // NA
        Assert.Equal("Bergen, West", r.GetProperty("rows")[1][5].GetString());
        Assert.Equal("NA", r.GetProperty("rows")[2][5].GetString()); // a text column keeps NA as text: it may be a value (Namibia)
        var stata = await alice.GetJson($"/api/workspaces/{ws}/tables/stata_export/rows");
        Assert.Equal(JsonValueKind.Null, stata.GetProperty("rows")[1][1].ValueKind);
        Assert.Equal(".", stata.GetProperty("rows")[2][2].GetString()); // a text column keeps "." as text
        var psql = await alice.GetJson($"/api/workspaces/{ws}/tables/psql_copy/rows");
        Assert.False(psql.GetProperty("rows")[1][1].GetBoolean());
    }

    [Fact]
    public async Task The_tokens_bad_rows_setting_overrides_the_default()
    {
        var ws = InletApp.NewWorkspace("badrows");
        var alice = await app.SignedIn("alice", ws);
        var invalid = await alice.PostAsJsonAsync($"/api/workspaces/{ws}/upload-tokens", new { reason = "x", upload_to_database = true, bad_rows = "skip" });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("bad_rows", await invalid.Content.ReadAsStringAsync());
        var notDatabase = await alice.PostAsJsonAsync($"/api/workspaces/{ws}/upload-tokens", new { reason = "x", bad_rows = "report" });
        Assert.Equal(HttpStatusCode.BadRequest, notDatabase.StatusCode);

        var refuse = await alice.Issue(ws, new { reason = "strict", upload_to_database = true, bad_rows = "refuse" });
        var report = await alice.Issue(ws, new { reason = "lenient", upload_to_database = true, bad_rows = "report" });
        var strictDir = Directory.CreateTempSubdirectory("strict-");
        await File.WriteAllTextAsync(Path.Combine(strictDir.FullName, "strict.csv"), "a,b\n1,2\n3\n4,5\n");
        var lenientDir = Directory.CreateTempSubdirectory("lenient-");
        await File.WriteAllTextAsync(Path.Combine(lenientDir.FullName, "declared.csv"), "a,b\n1,2\nx,3\n4,5\n");
        await File.WriteAllTextAsync(Path.Combine(lenientDir.FullName, "declared.schema.json"),
            """{ "fields": [ { "name": "a", "type": "integer" }, { "name": "b", "type": "integer" } ] }""");
        // Both tokens' files go to the database: strict.csv refused, declared.csv and its schema loaded.
        await app.Host.Until(UploadsDecided.Of(3, refuse, report), async () =>
        {
            await AzCopy.Upload(strictDir, refuse);
            await AzCopy.Upload(lenientDir, report);
        });
        var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToDictionary(u => u.Str("name"));
        Assert.Equal(3, uploads.Count);
        Assert.Equal("rejected", uploads["strict.csv"].Str("status"));
        Assert.Contains("line 3", uploads["strict.csv"].Str("error"));
        Assert.Equal("routed", uploads["declared.csv"].Str("status"));
        Assert.Equal(2, uploads["declared.csv"].GetProperty("rows_loaded").GetInt64());
        Assert.Equal(1, uploads["declared.csv"].GetProperty("rows_rejected").GetInt64());
        var rejects = await alice.GetJson($"/api/workspaces/{ws}/tables/declared/rejects");
        var reject = rejects.GetProperty("rejects")[0];
        Assert.Equal(3, reject.GetProperty("line").GetInt64());
        Assert.Equal("x,3", reject.Str("raw"));
        Assert.Contains("'x'", reject.Str("reason"));
        Assert.Equal("bigint", (await Tables(alice, ws))["declared"].GetProperty("columns")[0].Str("type"));
    }

    private static async Task<Dictionary<string, JsonElement>> Tables(HttpClient client, string ws) =>
        (await client.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().ToDictionary(t => t.Str("name"));
}
