using System.Security.Cryptography;
using System.Text;

namespace Inlet.Tests.Tabular;

/// <summary>
/// A corpus of malformed and hostile CSV files, uploaded with the real AzCopy through one database token:
/// each ends as a table or as a precise rejection, never a crash, a partial table or a lost file.
/// </summary>
public sealed class HostileCsvTests(InletApp app) : IClassFixture<InletApp>
{
    /// <param name="Table">The table expected, or null when the file must be rejected.</param>
    /// <param name="Expect">For a table: its row count; for a rejection: words the reason must contain.</param>
    /// <param name="RejectedLines">For a table loaded without some rows: the lines listed at its rejects, whose reasons contain <paramref name="Reason"/>.</param>
    private sealed record Case(string File, byte[] Bytes, string? Table, long Rows = -1, string[]? Reason = null, string[]? Columns = null, long[]? RejectedLines = null);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static Case Table(string file, string content, string table, long rows, params string[] columns) => new(file, Utf8(content), table, rows, Columns: columns);

    private static Case Rejected(string file, byte[] bytes, params string[] reason) => new(file, bytes, null, Reason: reason);

    /// <summary>Without metadata a bad row does not refuse the file: the other rows load, and it is listed with its line and reason.</summary>
    private static Case Reported(string file, byte[] bytes, string table, long rows, long[] lines, string[] reason, params string[] columns) =>
        new(file, bytes, table, rows, reason, columns, lines);

    private static IEnumerable<Case> Corpus()
    {
        yield return Reported("ragged.csv", Utf8("a,b\n1,2\n3\n"), "ragged", 1, [3], ["1 values", "2 columns"], "a", "b");
        yield return Reported("unterminated_quote.csv", Utf8("a,b\n\"never closed,1\n2,3\n"), "unterminated_quote", 1, [2], ["never closed"], "a", "b");
        yield return Reported("text_after_quote.csv", Utf8("a,b\n\"x\"y,1\n"), "text_after_quote", 0, [2], ["closing quote"], "a", "b");
        // Not UTF-8, but clean Windows-1252 (as Excel writes): read as that, and the upload says so.
        yield return Table("invalid_utf8.csv", "", "invalid_utf8", 1, "a", "b") with { Bytes = [.. Utf8("a,b\n1,"), 0xff, 0xfe, (byte)'\n'] };
        yield return Rejected("neither_utf8_nor_1252.csv", [.. Utf8("a,b\n1,"), 0xff, 0x81, (byte)'\n'], "neither_utf8_nor_1252.csv", "UTF-8", "Windows-1252");
        yield return Table("injection_header.csv", "\"\"\"); DROP TABLE x; --\",b\n1,2\n", "injection_header", 1, "drop_table_x", "b");
        yield return Rejected("wide_2000.csv", Utf8(string.Join(",", Enumerable.Range(1, 2000).Select(i => $"c{i}")) + "\n" + string.Join(",", Enumerable.Range(1, 2000)) + "\n"),
            "wide_2000.csv", "1600");
        yield return Table("huge_field.csv", "id,blob\n1,\"" + new string('x', 10 * 1024 * 1024) + "\"\n", "huge_field", 1, "id", "blob");
        yield return Table("header_only.csv", "a,b,c\n", "header_only", 0, "a", "b", "c");
        yield return Rejected("empty.csv", [], "empty.csv", "empty");
        yield return Rejected("only_newlines.csv", Utf8("\n\n\r\n"), "only_newlines.csv", "empty");
        yield return Table("duplicate_headers.csv", "id,id,Id\n1,2,3\n", "duplicate_headers", 1, "id", "id_2", "id_3");
        yield return Table("late_outlier.csv", "n\n" + string.Concat(Enumerable.Range(1, 5000).Select(i => $"{i}\n")) + "n/a\n", "late_outlier", 5001, "n");
        // Larger than the 1 MiB sample, so COPY starts on types guessed from the sample (TableLoader.Guess): the guess
        // holds for the first; in the next two a value past the sample overturns it (a type, the encoding), and the
        // whole file's types load instead.
        yield return Table("large_typed.csv", "id,day,flag,score\n" + string.Concat(Enumerable.Range(1, 150_000).Select(i => $"{i},2026-01-{i % 28 + 1:00},{(i % 2 == 0 ? "t" : "f")},{i}.5\n")) + "150001,2026-02-01,f,NA\n",
            "large_typed", 150_001, "id", "day", "flag", "score");
        yield return Table("late_outlier_large.csv", "n,flag\n" + string.Concat(Enumerable.Range(1, 200_000).Select(i => $"{i},t\n")) + "n/a,f\n", "late_outlier_large", 200_001, "n", "flag");
        yield return Table("late_1252.csv", "", "late_1252", 150_001, "a", "b") with
        {
            Bytes = [.. Utf8("a,b\n" + string.Concat(Enumerable.Range(1, 150_000).Select(i => $"x{i},{i}\n")) + "caf"), 0xe9, .. Utf8(",1\n")],
        };
        yield return Table("bom_crlf.csv", "\uFEFFa,b\r\n1,2\r\n", "bom_crlf", 1, "a", "b");
        yield return Table("semicolons.csv", "a;b\n1;2\n3;4\n", "semicolons", 2, "a", "b");
        yield return Table("tabs.tsv", "a\tb\n1\t2\n", "tabs", 1, "a", "b");
        yield return Table("embedded_newlines.csv", "id,note\n1,\"line one\nline two\"\n2,\"a \"\"quoted\"\" word\"\n", "embedded_newlines", 2, "id", "note");
        yield return Table("empty_lines.csv", "a,b\n\n1,2\n\n\n3,4\n", "empty_lines", 2, "a", "b");
        yield return Table("keywords.csv", "select,from,where,order\n1,2,3,4\n", "keywords", 1, "select", "from", "where", "order");
        yield return Reported("nul_char.csv", Utf8("a\nx\0y\n"), "nul_char", 0, [2], ["NUL"], "a");
        yield return Table("unicode_headers.csv", "Données,日本 語\n1,2\n", "unicode_headers", 1, "données", "日本_語");
        yield return Table("long_header.csv", new string('h', 300) + "\n1\n", "long_header", 1, new string('h', 63));
        yield return Table("quoted_empty.csv", "a,b\n\"\",1\n", "quoted_empty", 1, "a", "b");
        yield return Table("impossible_date.csv", "d\n2026-02-28\n2026-02-30\n", "impossible_date", 2, "d");
        yield return Table("x\"; drop schema public; --.csv", "a\n1\n", "x_drop_schema_public", 1, "a");
        yield return Table("all_missing.csv", "a,b\n,\n,\n", "all_missing", 2, "a", "b");
        yield return Table("huge_number.csv", "n\n99999999999999999999999\n1\n", "huge_number", 2, "n");
        yield return Table("trailing_delimiter.csv", "a,b,\n1,2,\n", "trailing_delimiter", 1, "a", "b", "column_3");
        yield return Table("cr_only.csv", "a,b\r1,2\r3,4\r", "cr_only", 2, "a", "b");
        yield return new Case("pk_duplicate.csv", Utf8("id,v\n1,a\n2,b\n1,c\n"), null, Reason: ["pk_duplicate.csv", "(id)=(1)"]);
        yield return new Case("pk_duplicate.schema.json", Utf8("""{ "fields": [ { "name": "id", "type": "integer" }, { "name": "v" } ], "primaryKey": "id" }"""), "pk_duplicate", -2);
        yield return new Case("required_missing.csv", Utf8("id,v\n1,a\n,b\n"), null, Reason: ["required_missing.csv", "line 3", "id", "required"]);
        yield return new Case("required_missing.schema.json", Utf8("""{ "fields": [ { "name": "id", "type": "integer", "constraints": { "required": true } }, { "name": "v" } ] }"""), "required_missing", -2);
        yield return Rejected("broken.schema.json", Utf8("{ \"fields\": [ { \"name\": \"a\", "), "broken.schema.json");
        yield return Rejected("wrong_type.schema.json", Utf8("""{ "fields": [ { "name": "a", "type": "int" } ] }"""), "wrong_type.schema.json", "fields[0].type", "integer");
    }

    [Fact]
    public async Task Every_hostile_file_ends_as_a_table_or_a_precise_rejection_and_no_file_is_lost()
    {
        var ws = InletApp.NewWorkspace("hostile");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "hostile corpus", upload_to_database = true });
        var cases = Corpus().ToList();
        Assert.True(cases.Count(c => !c.File.EndsWith(".json")) >= 25);

        var uploads = (await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(cases.Select(c => (c.File, c.Bytes))), cases.Count, 90))
            .Settled().ToDictionary(u => u.Str("name"));
        Assert.Equal(cases.Count, uploads.Count);
        var tables = (await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().ToDictionary(t => t.Str("name"));

        foreach (var c in cases)
        {
            var upload = uploads[c.File];
            if (c.Table is null)
            {
                Assert.True(upload.Str("status") == "rejected", $"{c.File} should be rejected: {upload}");
                var error = upload.Str("error");
                foreach (var word in c.Reason!)
                    Assert.True(error.Contains(word, StringComparison.OrdinalIgnoreCase), $"{c.File}: the reason '{error}' should mention '{word}'");
                Assert.StartsWith("inbox/", upload.Str("location"));
                await using var kept = await alice.GetStreamAsync($"/api/workspaces/{ws}/files/content?path={Uri.EscapeDataString(upload.Str("location"))}");
                Assert.Equal(MD5.HashData(c.Bytes), await MD5.HashDataAsync(kept));
                var stem = Path.GetFileNameWithoutExtension(c.File);
                Assert.False(tables.ContainsKey(stem), $"{c.File} was rejected, yet table {stem} exists");
            }
            else if (c.Rows == -2)
            {
                Assert.True(upload.Str("status") == "routed", $"{c.File} (metadata) should be accepted: {upload}");
            }
            else
            {
                Assert.True(upload.Str("status") == "routed", $"{c.File} should become a table: {upload}");
                Assert.Equal($"table:{c.Table}", upload.Str("location"));
                var table = tables[c.Table];
                Assert.True(c.Rows == table.GetProperty("rows").GetInt64(), $"{c.File}: expected {c.Rows} rows in {table}");
                Assert.Equal(c.Columns!, table.GetProperty("columns").EnumerateArray().Select(col => col.Str("name")));
                var lines = c.RejectedLines ?? [];
                Assert.Equal(lines.Length, upload.GetProperty("rows_rejected").GetInt64());
                Assert.Equal(lines.Length, table.GetProperty("rows_rejected").GetInt64());
                var rejects = (await alice.GetJson($"/api/workspaces/{ws}/tables/{c.Table}/rejects")).GetProperty("rejects").EnumerateArray().ToList();
                Assert.Equal(lines, rejects.Select(r => r.GetProperty("line").GetInt64()));
                foreach (var reject in rejects)
                    foreach (var word in c.Reason ?? [])
                        Assert.True(reject.Str("reason").Contains(word, StringComparison.OrdinalIgnoreCase), $"{c.File}: the reject reason '{reject.Str("reason")}' should mention '{word}'");
            }
        }
        Assert.Contains("windows-1252", uploads["invalid_utf8.csv"].Str("note"));
        Assert.Equal("1,\u00ff\u00fe", (await alice.GetJson($"/api/workspaces/{ws}/tables/invalid_utf8/rows")).GetProperty("rows")[0].EnumerateArray().Select(v => v.ToString()).Aggregate((a, b) => a + "," + b));
        Assert.Equal("text", tables["late_outlier"].GetProperty("columns")[0].Str("type"));
        string[] Types(string table) => tables[table].GetProperty("columns").EnumerateArray().Select(c => c.Str("type")).ToArray();
        Assert.Equal(["integer", "date", "boolean", "numeric"], Types("large_typed"));
        Assert.Equal(["text", "boolean"], Types("late_outlier_large"));
        Assert.Equal(["text", "integer"], Types("late_1252"));
        Assert.Contains("windows-1252", uploads["late_1252.csv"].Str("note"));

        Assert.Equal("text", tables["impossible_date"].GetProperty("columns")[0].Str("type"));
        Assert.Equal("numeric", tables["huge_number"].GetProperty("columns")[0].Str("type"));
        var huge = await alice.GetJson($"/api/workspaces/{ws}/tables/huge_field/rows");
        Assert.Equal(10 * 1024 * 1024, huge.GetProperty("rows")[0][1].GetString()!.Length);
    }
}
