using System.Globalization;
using System.Text.Json.Nodes;
using ParquetSharp;

namespace Inlet.Bench.Scenarios;

/// <summary>
/// The csv_load file converted to Parquet (Snappy, row groups of 1 Mi rows as pyarrow writes them) into the
/// workspace database: Inlet's Parquet load against Inlet's load of the same rows as CSV and against psql's \copy
/// of the CSV. Both Inlet loads have the same Table Schema beside them (the CSV's types; for the Parquet file only
/// descriptions, its types are its own), so that neither waits the grace for late metadata. A second, larger Parquet file of at least
/// 1 GB (uncompressed, so that it is 1 GB of Parquet, not 1 GB of CSV) measures the Host's peak RSS against
/// the 300 MB limit.
/// </summary>
public sealed class ParquetLoadScenario : IScenario
{
    private const double RssLimitMb = 300;
    private const int RowGroupRows = 1 << 20;

    public string Name => "parquet_load";

    public async Task<JsonObject> Run(BenchContext context)
    {
        var env = context.Env;
        var (csv, rows) = TestData.Csv(env, context.Size.CsvBytes);
        BenchContext.Log($"parquet_load: converting the {new FileInfo(csv).Length / 1e6:0} MB CSV to Parquet (kept for later runs)");
        var parquet = Convert(env, csv, rows, Compression.Snappy, dictionary: true, minBytes: 0, out _);
        var largeTarget = context.Size.Quick ? 10_000_000L : 1_000_000_000L;
        var large = Convert(env, csv, rows, Compression.Uncompressed, dictionary: false, minBytes: largeTarget, out var largeRows);

        // The 1 GB file first: its peak is the RSS figure, and the Host's heaps have not yet grown with the other loads.
        var largeLoad = await CsvLoadScenario.InletLoad(context, "bench-pq-large", large, largeRows, schema: null);
        BenchContext.Log("parquet_load: psql \\copy of the CSV (baseline, first run)");
        var psqlBefore = await CsvLoadScenario.PsqlCopy(env, csv, rows);
        // The same Table Schema beside each (for the Parquet file it adds descriptions; its types are its own): neither waits the grace for late metadata.
        var parquetLoad = await CsvLoadScenario.InletLoad(context, "bench-pq-parquet", parquet, rows, schema: TestData.TableSchema(env));
        var csvLoad = await CsvLoadScenario.InletLoad(context, "bench-pq-csv", csv, rows, schema: TestData.TableSchema(env));
        BenchContext.Log("parquet_load: psql \\copy of the CSV (baseline, second run)");
        var psqlAfter = await CsvLoadScenario.PsqlCopy(env, csv, rows);
        var psql = (psqlBefore + psqlAfter) / 2;

        var csvLoadS = csvLoad.Total - csvLoad.Upload;
        JsonObject Variant(CsvLoadScenario.LoadResult r, long variantRows, string path) => new()
        {
            ["bytes"] = new FileInfo(path).Length,
            ["rows"] = variantRows,
            ["seconds"] = Stats.Round(r.Total.TotalSeconds),
            ["upload_s"] = Stats.Round(r.Upload.TotalSeconds),
            ["load_s"] = Stats.Round((r.Total - r.Upload).TotalSeconds),
            ["rows_per_s"] = Math.Round(variantRows / (r.Total - r.Upload).TotalSeconds),
            ["rss_before_mb"] = Math.Round(r.RssBeforeMb),
            ["peak_rss_mb"] = Math.Round(r.PeakRssMb),
            ["peak_over_before_mb"] = Math.Round(r.PeakRssMb - r.RssBeforeMb),
            ["column_types"] = new JsonArray(r.Types.Select(t => (JsonNode)t).ToArray()),
            ["phases_s"] = r.Phases,
        };
        var parquetLoadS = parquetLoad.Total - parquetLoad.Upload;
        var result = new JsonObject
        {
            ["scenario"] = Name,
            ["rows"] = rows,
            ["csv_bytes"] = new FileInfo(csv).Length,
            ["psql_s"] = Stats.Round(psql.TotalSeconds),
            ["psql_runs_s"] = new JsonArray(Stats.Round(psqlBefore.TotalSeconds), Stats.Round(psqlAfter.TotalSeconds)),
            ["csv_table_schema"] = Variant(csvLoad, rows, csv),
            ["parquet"] = Variant(parquetLoad, rows, parquet),
            // From the upload's commit to the table being queryable: the Parquet load against the CSV load and psql's whole \copy.
            ["parquet_load_ratio_vs_csv_load"] = Stats.Round(parquetLoadS / csvLoadS, 2),
            ["parquet_load_ratio_vs_psql"] = Stats.Round(parquetLoadS / psql, 2),
            ["parquet_end_to_end_ratio_vs_csv"] = Stats.Round(parquetLoad.Total / csvLoad.Total, 2),
            ["large_parquet"] = Variant(largeLoad, largeRows, large),
            ["rss_limit_mb"] = RssLimitMb,
            ["rss_over_limit"] = largeLoad.PeakRssMb > RssLimitMb,
        };
        return result;
    }

    /// <summary>
    /// The CSV's rows as Parquet with the types its Table Schema declares (integer, date, timestamptz, numeric,
    /// boolean, text); read again from the start, with ids continuing, until the file holds <paramref name="minBytes"/>.
    /// </summary>
    private static string Convert(BenchEnvironment env, string csv, long csvRows, Compression compression, bool dictionary, long minBytes, out long rows)
    {
        var path = Path.Combine(Path.GetDirectoryName(csv)!, $"trips-{compression.ToString().ToLowerInvariant()}-{minBytes}", "trips.parquet");
        var rowsFile = path + ".rows";
        if (File.Exists(rowsFile))
        {
            rows = long.Parse(File.ReadAllText(rowsFile), CultureInfo.InvariantCulture);
            return path;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // How many passes over the CSV make minBytes is known once one pass is written (the writer's size shows only when it closes).
        rows = Write(path, csv, csvRows, compression, dictionary, passes: 1);
        if (new FileInfo(path).Length < minBytes)
            rows = Write(path, csv, csvRows, compression, dictionary, passes: (int)Math.Ceiling((double)minBytes / new FileInfo(path).Length));
        File.WriteAllText(rowsFile, rows.ToString(CultureInfo.InvariantCulture));
        return path;
    }

    private static long Write(string path, string csv, long csvRows, Compression compression, bool dictionary, int passes)
    {
        var columns = new Column[]
        {
            new Column<int>("id"), new Column<int>("site"), new Column<DateOnly>("visit_date"),
            new Column<DateTime>("measured_at", LogicalType.Timestamp(true, TimeUnit.Micros)),
            new Column<decimal>("weight", LogicalType.Decimal(9, 3)), new Column<decimal>("score", LogicalType.Decimal(9, 3)),
            new Column<bool>("smoker"), new Column<string>("comment"),
        };
        using var builder = new WriterPropertiesBuilder().Compression(compression);
        using var properties = (dictionary ? builder : builder.DisableDictionary()).Build();
        long rows = 0;
        using (var writer = new ParquetFileWriter(path, columns, new LogicalTypeFactory { DateAsDateOnly = true }, properties))
        {
            var id = new int[RowGroupRows];
            var site = new int[RowGroupRows];
            var date = new DateOnly[RowGroupRows];
            var at = new DateTime[RowGroupRows];
            var weight = new decimal[RowGroupRows];
            var score = new decimal[RowGroupRows];
            var smoker = new bool[RowGroupRows];
            var comment = new string[RowGroupRows];
            var n = 0;
            void Flush()
            {
                if (n == 0)
                    return;
                using var group = writer.AppendRowGroup();
                using (var w = group.NextColumn().LogicalWriter<int>()) w.WriteBatch(id, 0, n);
                using (var w = group.NextColumn().LogicalWriter<int>()) w.WriteBatch(site, 0, n);
                using (var w = group.NextColumn().LogicalWriter<DateOnly>()) w.WriteBatch(date, 0, n);
                using (var w = group.NextColumn().LogicalWriter<DateTime>()) w.WriteBatch(at, 0, n);
                using (var w = group.NextColumn().LogicalWriter<decimal>()) w.WriteBatch(weight, 0, n);
                using (var w = group.NextColumn().LogicalWriter<decimal>()) w.WriteBatch(score, 0, n);
                using (var w = group.NextColumn().LogicalWriter<bool>()) w.WriteBatch(smoker, 0, n);
                using (var w = group.NextColumn().LogicalWriter<string>()) w.WriteBatch(comment, 0, n);
                n = 0;
            }
            for (var pass = 0; pass < passes; pass++)
            {
                foreach (var line in File.ReadLines(csv).Skip(1))
                {
                    // The generator's lines: seven plain fields, then the comment, quoted with doubled quotes inside.
                    var fields = line.Split(',', 8);
                    id[n] = checked((int)(long.Parse(fields[0], CultureInfo.InvariantCulture) + pass * csvRows));
                    site[n] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                    date[n] = DateOnly.ParseExact(fields[2], "yyyy-MM-dd", CultureInfo.InvariantCulture);
                    at[n] = DateTime.Parse(fields[3], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                    weight[n] = decimal.Parse(fields[4], CultureInfo.InvariantCulture);
                    score[n] = decimal.Parse(fields[5], CultureInfo.InvariantCulture);
                    smoker[n] = fields[6] == "true";
                    comment[n] = fields[7][1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
                    rows++;
                    if (++n == RowGroupRows)
                        Flush();
                }
                Flush();
            }
            writer.Close();
        }
        return rows;
    }
}
