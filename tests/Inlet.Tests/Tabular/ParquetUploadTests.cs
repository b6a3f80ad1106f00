using System.Globalization;
using DuckDB.NET.Data;
using Npgsql;
using ParquetSharp;
using ParquetSharp.Schema;

namespace Inlet.Tests.Tabular;

/// <summary>
/// Parquet files through a database token end to end (the real AzCopy, Azurite, the Host and the workspace
/// database), written by the loader's own library (ParquetSharp) and by another writer (DuckDB).
/// </summary>
public sealed class ParquetUploadTests(InletApp app) : IClassFixture<InletApp>
{
    private async Task<(HttpClient Client, string Ws, JsonElement Token)> DatabaseToken()
    {
        var ws = InletApp.NewWorkspace("pq");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "parquet from site A", upload_to_database = true });
        return (alice, ws, token);
    }

    /// <summary>Each column's full type (numeric(9,3), not numeric) as PostgreSQL created it.</summary>
    private async Task<List<(string Name, string Type)>> ColumnTypes(string ws, string table)
    {
        await using var connection = new NpgsqlConnection(app.WorkspaceDatabase(ws));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a join pg_class c on c.oid = a.attrelid
            join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped order by a.attnum
            """, connection);
        command.Parameters.Add(new() { Value = "ws_" + ws.Replace('-', '_') });
        command.Parameters.Add(new() { Value = table });
        var columns = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            columns.Add((reader.GetString(0), reader.GetString(1)));
        return columns;
    }

    /// <summary>Every value as PostgreSQL itself prints it (instants in UTC), row by row in the order of <paramref name="orderBy"/>; null as "NULL".</summary>
    private async Task<List<string[]>> Values(string ws, string table, string orderBy)
    {
        var columns = await ColumnTypes(ws, table);
        await using var connection = new NpgsqlConnection(app.WorkspaceDatabase(ws));
        await connection.OpenAsync();
        await using (var zone = new NpgsqlCommand("set time zone 'UTC'", connection))
            await zone.ExecuteNonQueryAsync();
        await using var command = new NpgsqlCommand(
            $"select {string.Join(", ", columns.Select(c => $"\"{c.Name}\"::text"))} from \"ws_{ws.Replace('-', '_')}\".\"{table}\" order by {orderBy}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : reader.GetString(i)).ToArray());
        return rows;
    }

    private static readonly (string Name, string Type)[] ExpectedTypes =
    [
        ("id", "integer"), ("i8", "smallint"), ("u8", "smallint"), ("i16", "smallint"), ("u16", "integer"), ("u32", "bigint"), ("i64", "bigint"),
        ("u64", "numeric(20,0)"), ("f32", "real"), ("f64", "double precision"), ("amount", "numeric(9,3)"), ("wide", "numeric(28,10)"),
        ("name", "text"), ("flag", "boolean"), ("day", "date"), ("at_utc", "timestamp with time zone"), ("at_local", "timestamp without time zone"),
        ("at_ns", "timestamp with time zone"), ("clock", "time without time zone"), ("uid", "uuid"), ("blob", "bytea"), ("doc", "jsonb"),
    ];

    private static readonly string[][] ExpectedValues =
    [
        ["1", "-128", "255", "-32768", "65535", "4294967295", "-9223372036854775808", "18446744073709551615", "0.1", "1e-300", "123456.789",
            "123456789012345678.0123456789", "Zoë, \"東京\", commas", "true", "1815-12-10", "2026-01-02 09:30:00.123456+00", "1999-12-31 23:59:59.999",
            "2026-01-02 03:04:05.123456+00", "23:59:59.999999", "6f9619ff-8b86-d011-b42d-00c04fc964ff", "\\x00ff10", "{\"a\": [1, 2]}"],
        ["2", "127", "0", "32767", "0", "0", "9223372036854775807", "0", "-3.5", "2.5", "-0.001", "-1.0000000001", "", "false", "2026-02-28",
            "1970-01-01 00:00:00+00", "2038-01-19 03:14:08", "1900-01-01 00:00:00+00", "00:00:00", "00000000-0000-0000-0000-000000000000", "\\x", "{}"],
        ["3", "0", "1", "0", "1", "1", "0", "1", "NULL", "NULL", "0.000", "NULL", "NULL", "NULL", "NULL", "2000-02-29 12:00:00+00", "NULL",
            "2000-02-29 12:00:00+00", "12:00:00", "NULL", "NULL", "NULL"],
    ];

    /// <summary>A file with every supported type, as ParquetSharp (the loader's library) writes it; nullable columns are optional in the file.</summary>
    internal static void WriteWithParquetSharp(string path, int rowsPerGroup)
    {
        var columns = new Column[]
        {
            new Column<int>("id"), new Column<sbyte>("i8"), new Column<byte>("u8"), new Column<short>("i16"), new Column<ushort>("u16"), new Column<uint>("u32"),
            new Column<long>("i64"), new Column<ulong>("u64"), new Column<float?>("f32"), new Column<double?>("f64"),
            new Column<decimal>("amount", LogicalType.Decimal(9, 3)), new Column<decimal?>("wide", LogicalType.Decimal(28, 10)),
            new Column<string>("name"), new Column<bool?>("flag"), new Column<Date?>("day"),
            new Column<DateTime>("at_utc", LogicalType.Timestamp(true, TimeUnit.Micros)), new Column<DateTime?>("at_local", LogicalType.Timestamp(false, TimeUnit.Millis)),
            new Column<DateTimeNanos>("at_ns", LogicalType.Timestamp(true, TimeUnit.Nanos)), new Column<TimeSpan>("clock", LogicalType.Time(false, TimeUnit.Micros)),
            new Column<Guid?>("uid"), new Column<byte[]>("blob"), new Column<string>("doc", LogicalType.Json()),
        };
        var utc = (string s) => DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var local = (string s) => DateTime.Parse(s, CultureInfo.InvariantCulture);
        using var writer = new ParquetFileWriter(path, columns);
        var rows = 3;
        for (var start = 0; start < rows; start += rowsPerGroup)
        {
            var take = Math.Min(rowsPerGroup, rows - start);
            T[] Slice<T>(params T[] all) => all[start..(start + take)];
            using var group = writer.AppendRowGroup();
            void Write<T>(params T[] values)
            {
                using var column = group.NextColumn().LogicalWriter<T>();
                column.WriteBatch(Slice(values));
            }
            Write(1, 2, 3);
            Write<sbyte>(-128, 127, 0);
            Write<byte>(255, 0, 1);
            Write<short>(-32768, 32767, 0);
            Write<ushort>(65535, 0, 1);
            Write<uint>(4294967295, 0, 1);
            Write(long.MinValue, long.MaxValue, 0L);
            Write(ulong.MaxValue, 0UL, 1UL);
            Write<float?>(0.1f, -3.5f, null);
            Write<double?>(1e-300, 2.5, null);
            Write(123456.789m, -0.001m, 0.000m);
            Write<decimal?>(123456789012345678.0123456789m, -1.0000000001m, null);
            Write("Zoë, \"東京\", commas", "", null!);
            Write<bool?>(true, false, null);
            Write<Date?>(new Date(1815, 12, 10), new Date(2026, 2, 28), null);
            Write(utc("2026-01-02T09:30:00.123456Z"), utc("1970-01-01T00:00:00Z"), utc("2000-02-29T12:00:00Z"));
            Write<DateTime?>(local("1999-12-31T23:59:59.999"), local("2038-01-19T03:14:08"), null);
            // Nanoseconds: PostgreSQL keeps microseconds, so .123456789 loads as .123456.
            Write(new DateTimeNanos(1767323045123456789L), new DateTimeNanos(-2208988800000000000L), new DateTimeNanos(951825600000000000L));
            Write(new TimeSpan(0, 23, 59, 59, 999, 999), TimeSpan.Zero, TimeSpan.FromHours(12));
            Write<Guid?>(Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"), Guid.Empty, null);
            Write(new byte[] { 0x00, 0xFF, 0x10 }, [], null!);
            Write("{\"a\": [1, 2]}", "{}", null!);
        }
        writer.Close();
    }

    [Fact]
    public async Task A_Parquet_file_written_by_ParquetSharp_with_every_supported_type_loads_with_exact_types_and_values_and_its_Table_Schema_titles()
    {
        var (alice, ws, token) = await DatabaseToken();
        var root = Directory.CreateTempSubdirectory("upload-");
        WriteWithParquetSharp(Path.Combine(root.FullName, "measures.parquet"), rowsPerGroup: 2); // two row groups
        await File.WriteAllTextAsync(Path.Combine(root.FullName, "measures.schema.json"), """
            { "name": "site_measures", "title": "Measures", "description": "One row per measure.",
              "fields": [ { "name": "id" }, { "name": "amount", "title": "Amount", "description": "In euros" }, { "name": "name", "description": "Who measured" } ],
              "primaryKey": "id" }
            """);
        // Required (not optional) columns, text among them, as pyarrow writes non-nullable fields.
        var schema = new GroupNode("schema", Repetition.Required, [
            new PrimitiveNode("code", Repetition.Required, LogicalType.String(), PhysicalType.ByteArray),
            new PrimitiveNode("count", Repetition.Required, LogicalType.None(), PhysicalType.Int64)]);
        using (var properties = new WriterPropertiesBuilder().Build())
        using (var writer = new ParquetFileWriter(Path.Combine(root.FullName, "required.parquet"), schema, properties, null))
        {
            using var group = writer.AppendRowGroup();
            using (var codes = group.NextColumn().LogicalWriter<string>())
                codes.WriteBatch(["A-1", "", "Ω-3"]);
            using (var counts = group.NextColumn().LogicalWriter<long>())
                counts.WriteBatch([1L, 2L, 3L]);
            writer.Close();
        }
        var uploads = (await app.Host.UploadUntilDecided(alice, token, root, 3, 90)).Settled();
        Assert.All(uploads, u => Assert.Equal("routed", u.Str("status")));
        Assert.Equal("table:site_measures", uploads.Single(u => u.Str("name") == "measures.parquet").Str("location"));
        Assert.Equal([("code", "text"), ("count", "bigint")], await ColumnTypes(ws, "required"));
        Assert.Equal([["A-1", "1"], ["", "2"], ["Ω-3", "3"]], await Values(ws, "required", "count"));

        Assert.Equal(ExpectedTypes, await ColumnTypes(ws, "site_measures"));
        var values = await Values(ws, "site_measures", "id");
        for (var r = 0; r < ExpectedValues.Length; r++)
            Assert.Equal(ExpectedValues[r], values[r]);
        Assert.Equal(3, values.Count);

        var table = (await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().Single(t => t.Str("name") == "site_measures");
        Assert.Equal(("site_measures", "Measures", "One row per measure.", 3L), (table.Str("name"), table.Str("title"), table.Str("description"), table.GetProperty("rows").GetInt64()));
        var amount = table.GetProperty("columns").EnumerateArray().Single(c => c.Str("name") == "amount");
        Assert.Equal(("numeric", "Amount", "In euros"), (amount.Str("type"), amount.Str("title"), amount.Str("description")));
        Assert.Equal("measures.parquet", table.Str("source"));

        // The same export as for a CSV's table.
        var csv = await alice.GetStringAsync($"/api/workspaces/{ws}/tables/site_measures/export?format=csv");
        Assert.StartsWith("id,i8,u8,i16,u16,u32,i64,u64,f32,f64,amount,wide,name,flag,day,at_utc,", csv);
        Assert.Contains("123456.789,123456789012345678.0123456789,\"Zoë, \"\"東京\"\", commas\",true,1815-12-10,2026-01-02 09:30:00.123456+00", csv);
    }

    [Fact]
    public async Task A_Parquet_table_exports_as_CSV_and_Table_Schema_that_reload_into_the_same_values()
    {
        var (alice, ws, token) = await DatabaseToken();
        var root = Directory.CreateTempSubdirectory("upload-");
        WriteWithParquetSharp(Path.Combine(root.FullName, "measures.parquet"), rowsPerGroup: 3);
        Assert.Equal("routed", Assert.Single((await app.Host.UploadUntilDecided(alice, token, root, 1, 90)).Settled()).Str("status"));

        // The schema before the CSV, each awaited: together, the CSV could load with guessed types first and be reloaded
        // just after the wait ended.
        var schema = await alice.GetStringAsync($"/api/workspaces/{ws}/tables/measures/export?format=schema");
        var csv = await alice.GetStringAsync($"/api/workspaces/{ws}/tables/measures/export?format=csv&raw=true");
        var (bob, ws2, token2) = await DatabaseToken();
        var reloaded = (await app.Host.UploadDefinitionsFirst(bob, token2, [("measures.schema.json", schema), ("measures.csv", csv)], 90)).Settled();
        Assert.Equal(2, reloaded.Count);
        Assert.All(reloaded, u => Assert.True(u.Str("status") == "routed", u.GetRawText()));

        // The same types (numeric keeps its values, not its declared precision) and the very same values.
        Assert.Equal(ExpectedTypes.Select(t => (t.Name, t.Type.StartsWith("numeric", StringComparison.Ordinal) ? "numeric" : t.Type)), await ColumnTypes(ws2, "measures"));
        var (before, after) = (await Values(ws, "measures", "id"), await Values(ws2, "measures", "id"));
        // A CSV cannot tell an empty text from a missing one (the loader reads both as NULL): that one value differs, as for any CSV table's export.
        for (var r = 0; r < before.Count; r++)
            Assert.Equal(before[r].Select(v => v == "" ? "NULL" : v), after[r]);
    }

    [Fact]
    public async Task A_Parquet_file_written_by_DuckDB_with_every_supported_type_loads_with_exact_types_and_values()
    {
        var (alice, ws, token) = await DatabaseToken();
        var root = Directory.CreateTempSubdirectory("upload-");
        var path = Path.Combine(root.FullName, "duck.parquet");
        using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            duck.Open();
            using var command = duck.CreateCommand();
            command.CommandText = $"""
                set TimeZone = 'UTC';
                copy (select * from (values
                  (1, (-128)::tinyint, 255::utinyint, (-32768)::smallint, 65535::usmallint, 4294967295::uinteger, (-9223372036854775808)::bigint, 18446744073709551615::ubigint,
                   0.1::float, 1e-300::double, 123456.789::decimal(9,3), 123456789012.123456::decimal(18,6), 'Zoë, "東京", commas', true, date '1815-12-10',
                   timestamptz '2026-01-02 09:30:00.123456+00', timestamp '1999-12-31 23:59:59.999', time '23:59:59.999999', uuid '6f9619ff-8b86-d011-b42d-00c04fc964ff',
                   '\x00\xFF\x10'::blob, {'{'}'city': 'Oslo', 'zip': 150{'}'}),
                  (2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)
                ) t(id, i8, u8, i16, u16, u32, i64, u64, f32, f64, amount, money, name, flag, day, at_utc, at_local, clock, uid, blob, address))
                to '{path}' (format parquet);
                """;
            command.ExecuteNonQuery();
        }
        var upload = Assert.Single((await app.Host.UploadUntilDecided(alice, token, root, 1, 90)).Settled());
        Assert.True(upload.Str("status") == "routed", upload.GetRawText());

        Assert.Equal(
        [
            ("id", "integer"), ("i8", "smallint"), ("u8", "smallint"), ("i16", "smallint"), ("u16", "integer"), ("u32", "bigint"), ("i64", "bigint"), ("u64", "numeric(20,0)"),
            ("f32", "real"), ("f64", "double precision"), ("amount", "numeric(9,3)"), ("money", "numeric(18,6)"), ("name", "text"), ("flag", "boolean"), ("day", "date"),
            ("at_utc", "timestamp with time zone"), ("at_local", "timestamp without time zone"), ("clock", "time without time zone"), ("uid", "uuid"), ("blob", "bytea"),
            ("address_city", "text"), ("address_zip", "integer"),
        ], await ColumnTypes(ws, "duck"));
        var values = await Values(ws, "duck", "id");
        Assert.Equal(["1", "-128", "255", "-32768", "65535", "4294967295", "-9223372036854775808", "18446744073709551615", "0.1", "1e-300", "123456.789",
            "123456789012.123456", "Zoë, \"東京\", commas", "true", "1815-12-10", "2026-01-02 09:30:00.123456+00", "1999-12-31 23:59:59.999", "23:59:59.999999",
            "6f9619ff-8b86-d011-b42d-00c04fc964ff", "\\x00ff10", "Oslo", "150"], values[0]);
        Assert.Equal(["2", .. Enumerable.Repeat("NULL", 21)], values[1]);
    }

    [Fact]
    public async Task A_damaged_or_unloadable_Parquet_file_is_refused_with_a_clear_reason_and_kept_in_the_inbox()
    {
        var (alice, ws, token) = await DatabaseToken();
        var root = Directory.CreateTempSubdirectory("upload-");
        var whole = Path.Combine(root.FullName, "whole.parquet");
        WriteWithParquetSharp(whole, rowsPerGroup: 3);
        var bytes = await File.ReadAllBytesAsync(whole);
        File.Delete(whole);
        await File.WriteAllBytesAsync(Path.Combine(root.FullName, "cut.parquet"), bytes[..(bytes.Length / 2)]);
        await File.WriteAllTextAsync(Path.Combine(root.FullName, "text.parquet"), "id,name\n1,not parquet at all\n");
        // The footer intact, a column chunk overwritten: the damage shows only when the rows are read.
        var damaged = bytes.ToArray();
        for (var i = 100; i < damaged.Length / 2; i++)
            damaged[i] = (byte)(i * 7);
        await File.WriteAllBytesAsync(Path.Combine(root.FullName, "damaged.parquet"), damaged);
        using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            duck.Open();
            using var command = duck.CreateCommand();
            command.CommandText = $"copy (select 1 as id, [1, 2, 3] as tags, map {{'a': 1}} as attributes) to '{Path.Combine(root.FullName, "nested.parquet")}' (format parquet)";
            command.ExecuteNonQuery();
        }
        using (var writer = new ParquetFileWriter(Path.Combine(root.FullName, "nul.parquet"), [new Column<int>("id"), new Column<string>("note")]))
        {
            using var group = writer.AppendRowGroup();
            using (var ids = group.NextColumn().LogicalWriter<int>())
                ids.WriteBatch([1, 2, 3]);
            using (var notes = group.NextColumn().LogicalWriter<string>())
                notes.WriteBatch(["fine", "a NUL \0 inside", "fine"]);
            writer.Close();
        }
        var uploads = (await app.Host.UploadUntilDecided(alice, token, root, 5, 90)).Settled().ToDictionary(u => u.Str("name"));
        Assert.All(uploads.Values, u => Assert.Equal("rejected", u.Str("status")));
        Assert.All(uploads.Values, u => Assert.Equal($"inbox/{u.Str("name")}", u.Str("location")));
        Assert.Contains("cut.parquet is not a readable Parquet file", uploads["cut.parquet"].Str("error"));
        Assert.Contains("text.parquet is not a readable Parquet file", uploads["text.parquet"].Str("error"));
        Assert.Contains("damaged.parquet", uploads["damaged.parquet"].Str("error"));
        var nested = uploads["nested.parquet"].Str("error");
        Assert.Contains("column 'tags", nested);
        Assert.Contains("column 'attributes", nested);
        Assert.Contains("list or a map", nested);
        var nul = uploads["nul.parquet"].Str("error");
        Assert.Contains("nul.parquet, row 2 (row group 1), column 'note'", nul);
        Assert.Contains("NUL", nul);

        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray());
        Assert.Equal(["inbox/cut.parquet", "inbox/damaged.parquet", "inbox/nested.parquet", "inbox/nul.parquet", "inbox/text.parquet"],
            (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order());
        Assert.Equal(bytes[..(bytes.Length / 2)], await alice.GetByteArrayAsync($"/api/workspaces/{ws}/files/content?path=inbox/cut.parquet"));
    }
}
