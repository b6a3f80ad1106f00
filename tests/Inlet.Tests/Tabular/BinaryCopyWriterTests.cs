using System.Globalization;
using Inlet.Tabular.Loading;
using Inlet.Tabular.LoadTable;
using Inlet.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Inlet.Tests.Tabular;

/// <summary>
/// Inlet's own binary COPY encoding (BinaryCopyWriter) against the real PostgreSQL: the same values written by it and
/// by Npgsql's importer must read back identically, as PostgreSQL's text, for every type a load writes.
/// </summary>
public sealed class BinaryCopyWriterTests : IAsyncLifetime
{
    private string _postgres = "";

    public async Task InitializeAsync() => _postgres = await TestServices.CreateDatabase("binary_copy");

    public async Task DisposeAsync() => await TestServices.DropDatabase(_postgres);

    private static readonly decimal[] Numerics =
    [
        0m, 0.0m, 0.000m, 1m, -1m, 1.50m, -0.5m, 0.0001m, 0.00001m, 0.12345m, 9999m, 10000m, 10001m, 99999999m, 100000000m,
        123456789.987654321m, -123456789.987654321m, 1000000.0000001m, 0.1000m, 12.3400m, decimal.MaxValue, decimal.MinValue,
        0.0000000000000000000000000001m, -0.0000000000000000000000000001m, 79228162514264.337593543950335m, 1e-10m, 500.0m,
        decimal.Parse("1.0000000000000000000000000000", CultureInfo.InvariantCulture), 20000.0002m, -70000m,
    ];

    private static readonly string[] Texts =
        ["", "plain", "é ü ß ø", "日本語のテキスト", "emoji 🧪 and 🚀", "a\tb\nc\r\nd", "quote \" and \\ backslash", new string('x', 70_000)];

    [Fact]
    public async Task Every_type_reads_back_as_Npgsqls_importer_writes_it()
    {
        await using var connection = new NpgsqlConnection(_postgres);
        await connection.OpenAsync();
        await Execute(connection, """
            create table ours (n int, b boolean, s smallint, i integer, l bigint, d numeric, f double precision, r real, day date, t time,
              ts timestamp, tz timestamptz, u uuid, x text, j jsonb, by bytea);
            create table theirs (like ours);
            """);
        var rows = Rows().ToList();

        // A small buffer, so values and rows are split across flushes too.
        await using (var copy = new BinaryCopy(await connection.BeginRawBinaryCopyAsync("copy ours from stdin (format binary)"), bufferBytes: 1024))
        {
            foreach (var row in rows)
            {
                copy.Writer.StartRow(16);
                copy.Writer.WriteInt32(row.N);
                if (row.Nulls) { for (var k = 0; k < 15; k++) copy.Writer.WriteNull(); continue; }
                copy.Writer.WriteBoolean(row.B);
                copy.Writer.WriteInt16(row.S);
                copy.Writer.WriteInt32(row.I);
                copy.Writer.WriteInt64(row.L);
                copy.Writer.WriteNumeric(row.D);
                copy.Writer.WriteDouble(row.F);
                copy.Writer.WriteSingle(row.R);
                copy.Writer.WriteDate(row.Day);
                copy.Writer.WriteTime(row.T);
                copy.Writer.WriteTimestamp(row.Ts);
                copy.Writer.WriteTimestamp(row.Tz);
                copy.Writer.WriteUuid(row.U);
                copy.Writer.WriteText(row.X);
                copy.Writer.WriteJsonb(row.J);
                copy.Writer.WriteBytes(row.By);
            }
            copy.Writer.Complete();
            await copy.CompleteAsync();
        }
        await using (var importer = await connection.BeginBinaryImportAsync("copy theirs from stdin (format binary)"))
        {
            foreach (var row in rows)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(row.N, NpgsqlDbType.Integer);
                if (row.Nulls) { for (var k = 0; k < 15; k++) await importer.WriteNullAsync(); continue; }
                await importer.WriteAsync(row.B, NpgsqlDbType.Boolean);
                await importer.WriteAsync(row.S, NpgsqlDbType.Smallint);
                await importer.WriteAsync(row.I, NpgsqlDbType.Integer);
                await importer.WriteAsync(row.L, NpgsqlDbType.Bigint);
                await importer.WriteAsync(row.D, NpgsqlDbType.Numeric);
                await importer.WriteAsync(row.F, NpgsqlDbType.Double);
                await importer.WriteAsync(row.R, NpgsqlDbType.Real);
                await importer.WriteAsync(row.Day, NpgsqlDbType.Date);
                await importer.WriteAsync(row.T, NpgsqlDbType.Time);
                await importer.WriteAsync(row.Ts, NpgsqlDbType.Timestamp);
                await importer.WriteAsync(row.Tz, NpgsqlDbType.TimestampTz);
                await importer.WriteAsync(row.U, NpgsqlDbType.Uuid);
                await importer.WriteAsync(row.X, NpgsqlDbType.Text);
                await importer.WriteAsync(row.J, NpgsqlDbType.Jsonb);
                await importer.WriteAsync(row.By, NpgsqlDbType.Bytea);
            }
            await importer.CompleteAsync();
        }

        var ours = await Text(connection, "ours");
        var theirs = await Text(connection, "theirs");
        Assert.Equal(rows.Count, ours.Count);
        Assert.Equal(theirs, ours);
        // And the numerics are the decimals themselves, scale included (1.50 stays 1.50).
        var numerics = ours.Take(Numerics.Length).Select(r => r[4]).ToList();
        Assert.Equal(Numerics.Select(d => d.ToString(CultureInfo.InvariantCulture)), numerics);
    }

    [Fact]
    public async Task A_copy_left_without_completing_commits_nothing()
    {
        await using var connection = new NpgsqlConnection(_postgres);
        await connection.OpenAsync();
        await Execute(connection, "create table t (i integer)");
        await using (var copy = new BinaryCopy(await connection.BeginRawBinaryCopyAsync("copy t from stdin (format binary)")))
        {
            for (var i = 0; i < 100_000; i++)
            {
                copy.Writer.StartRow(1);
                copy.Writer.WriteInt32(i);
            }
        } // a failing load leaves here without Complete: the COPY is cancelled, not ended as if complete
        await using var count = new NpgsqlCommand("select count(*) from t", connection);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }

    private sealed record Row(int N, bool Nulls, bool B, short S, int I, long L, decimal D, double F, float R, DateOnly Day, TimeOnly T,
        DateTime Ts, DateTime Tz, Guid U, string X, string J, byte[] By);

    private static IEnumerable<Row> Rows()
    {
        var random = new Random(11);
        var n = 0;
        DateOnly[] days = [DateOnly.MinValue.AddDays(1), new(1899, 12, 31), new(1999, 12, 31), new(2000, 1, 1), new(2026, 12, 3), new(9999, 12, 30)];
        DateTime[] moments = [new(1, 1, 2, 0, 0, 0), new(1969, 7, 20, 20, 17, 40, 123), new(1999, 12, 31, 23, 59, 59, 999), new(2000, 1, 1), new DateTime(2026, 12, 3, 9, 30, 0).AddTicks(1234567), new(9999, 12, 30, 23, 59, 59)];
        foreach (var d in Numerics)
        {
            var i = n % Texts.Length;
            yield return new Row(n++, false, n % 2 == 0, (short)(n * 37 - 500), random.Next(int.MinValue, int.MaxValue), random.NextInt64(long.MinValue, long.MaxValue), d,
                i == 0 ? double.MaxValue : i == 1 ? -0.0 : random.NextDouble() * 1e10, i == 0 ? float.Epsilon : (float)random.NextDouble(),
                days[n % days.Length], new TimeOnly(random.NextInt64(TimeOnly.MaxValue.Ticks)),
                DateTime.SpecifyKind(moments[n % moments.Length], DateTimeKind.Unspecified), DateTime.SpecifyKind(moments[(n + 1) % moments.Length], DateTimeKind.Utc),
                Guid.NewGuid(), Texts[i], $"{{\"k\": {n}, \"t\": \"é🧪\"}}", [(byte)n, 0, 255, 10]);
        }
        yield return new Row(n, true, false, 0, 0, 0, 0, 0, 0, default, default, default, default, default, "", "", []);
    }

    private static async Task<List<string[]>> Text(NpgsqlConnection connection, string table)
    {
        await using var command = new NpgsqlCommand($"select array[b::text, s::text, i::text, l::text, d::text, f::text, r::text, day::text, t::text, ts::text, tz::text, u::text, x, j::text, by::text, n::text] from {table} order by n", connection);
        var rows = new List<string[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(reader.GetFieldValue<string?[]>(0).Select(v => v ?? "").ToArray());
        return rows;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
