using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;

namespace Inlet.Bench.Scenarios;

/// <summary>
/// A large CSV into the workspace database: Inlet (AzCopy through a database token, then detection,
/// MD5 check, staging copy and the Tabular load; once with inferred types, once with a Table Schema)
/// against psql's \copy of the same file into the same pre-created table.
/// </summary>
public sealed class CsvLoadScenario : IScenario
{
    /// <summary>The issue's limit for the Host's memory while loading 1 GB.</summary>
    private const double RssLimitMb = 300;

    public string Name => "csv_load";

    public async Task<JsonObject> Run(BenchContext context)
    {
        var env = context.Env;
        if (long.TryParse(Environment.GetEnvironmentVariable("INLET_BENCH_CSV_BYTES"), out var large) && large > 0)
            return await LargeFile(context, large);
        BenchContext.Log($"csv_load: generating a {context.Size.CsvBytes / 1e6:0} MB CSV (kept for later runs)");
        var (csv, rows) = TestData.Csv(env, context.Size.CsvBytes);
        var bytes = new FileInfo(csv).Length;

        // The baseline runs before and after Inlet and their mean is used, so load from other processes
        // that changes during the scenario weighs on both sides alike (docs/adr/0010).
        BenchContext.Log("csv_load: psql \\copy (baseline, first run)");
        var psqlBefore = await PsqlCopy(env, csv, rows);
        var rawBefore = await IngestScenario.RawAzCopy(context, csv);
        var inferred = await InletLoad(context, "bench-csv-inferred", csv, rows, schema: null);
        var declared = await InletLoad(context, "bench-csv-schema", csv, rows, schema: TestData.TableSchema(env));
        BenchContext.Log("csv_load: psql \\copy (baseline, second run)");
        var psqlAfter = await PsqlCopy(env, csv, rows);
        var rawAfter = await IngestScenario.RawAzCopy(context, csv);
        var psql = (psqlBefore + psqlAfter) / 2;
        var raw = (rawBefore + rawAfter) / 2;
        var psqlRate = rows / psql.TotalSeconds;
        var peak = Math.Max(inferred.PeakRssMb, declared.PeakRssMb);

        JsonObject Variant(LoadResult r) => new()
        {
            ["seconds"] = Stats.Round(r.Total.TotalSeconds),
            ["upload_s"] = Stats.Round(r.Upload.TotalSeconds),
            ["rows_per_s"] = Math.Round(rows / r.Total.TotalSeconds),
            ["ratio_vs_psql"] = Stats.Round(r.Total / psql, 2),
            // From the upload's commit (AzCopy done) to the table being queryable, against psql's whole \copy.
            ["load_s"] = Stats.Round((r.Total - r.Upload).TotalSeconds),
            ["load_ratio_vs_psql"] = Stats.Round((r.Total - r.Upload) / psql, 2),
            // What a user without Inlet would spend: upload the file to storage, then load it with psql.
            ["end_to_end_ratio"] = Stats.Round(r.Total / (raw + psql), 2),
            ["rss_before_mb"] = Math.Round(r.RssBeforeMb),
            ["peak_rss_mb"] = Math.Round(r.PeakRssMb),
            ["column_types"] = new JsonArray(r.Types.Select(t => (JsonNode)t).ToArray()),
            // Where load_s went, from the events' commit times: commit → detected → staged → loaded.
            ["phases_s"] = r.Phases,
        };
        return new JsonObject
        {
            ["scenario"] = Name,
            ["rows"] = rows,
            ["bytes"] = bytes,
            ["psql_s"] = Stats.Round(psql.TotalSeconds),
            ["psql_runs_s"] = new JsonArray(Stats.Round(psqlBefore.TotalSeconds), Stats.Round(psqlAfter.TotalSeconds)),
            ["psql_rows_per_s"] = Math.Round(psqlRate),
            ["raw_azcopy_s"] = Stats.Round(raw.TotalSeconds),
            ["raw_azcopy_runs_s"] = new JsonArray(Stats.Round(rawBefore.TotalSeconds), Stats.Round(rawAfter.TotalSeconds)),
            ["inferred"] = Variant(inferred),
            ["table_schema"] = Variant(declared),
            ["peak_rss_mb"] = Math.Round(peak),
            ["rss_limit_mb"] = RssLimitMb,
            ["rss_over_limit"] = peak > RssLimitMb,
            ["host_vmhwm_mb"] = Math.Round(ProcStats.MemoryMb(context.Host.Pid, "VmHWM")),
        };
    }

    /// <summary>
    /// INLET_BENCH_CSV_BYTES=10000000000 ./bench.sh --only csv_load: one file of that size, inferred types only (the variant that
    /// also spools and observes every value), to show that memory stays flat and the spool is gone afterwards. No baselines: at
    /// 10 GB the disk holds the file, Azurite's copy, the spool and the table, but not a second table for psql as well.
    /// </summary>
    private static async Task<JsonObject> LargeFile(BenchContext context, long size)
    {
        BenchContext.Log($"csv_load: generating a {size / 1e9:0.#} GB CSV (kept for later runs)");
        var (csv, rows) = TestData.Csv(context.Env, size);
        var inferred = await InletLoad(context, "bench-csv-large", csv, rows, schema: null);
        return new JsonObject
        {
            ["scenario"] = "csv_load",
            ["rows"] = rows,
            ["bytes"] = new FileInfo(csv).Length,
            ["inferred"] = new JsonObject
            {
                ["seconds"] = Stats.Round(inferred.Total.TotalSeconds),
                ["upload_s"] = Stats.Round(inferred.Upload.TotalSeconds),
                ["load_s"] = Stats.Round((inferred.Total - inferred.Upload).TotalSeconds),
                ["load_rows_per_s"] = Math.Round(rows / (inferred.Total - inferred.Upload).TotalSeconds),
                ["rss_before_mb"] = Math.Round(inferred.RssBeforeMb),
                ["peak_rss_mb"] = Math.Round(inferred.PeakRssMb),
                ["phases_s"] = inferred.Phases,
            },
            ["peak_rss_mb"] = Math.Round(inferred.PeakRssMb),
            ["rss_limit_mb"] = RssLimitMb,
            ["rss_over_limit"] = inferred.PeakRssMb > RssLimitMb,
            // Spools are unlinked when created; one the Host still holds open after the load would still take disk space.
            ["spools_still_open"] = OpenSpools(context.Host.Pid),
        };
    }

    /// <summary>The Host's open file handles that are a load's spool or rejects file (their names stay readable after the unlink).</summary>
    private static int OpenSpools(int pid) =>
        Directory.GetFiles($"/proc/{pid}/fd").Count(fd =>
        {
            try
            {
                return File.ResolveLinkTarget(fd, returnFinalTarget: false)?.FullName.Contains("inlet-load-", StringComparison.Ordinal) == true;
            }
            catch (IOException)
            {
                return false; // closed meanwhile
            }
        });

    internal static async Task<TimeSpan> PsqlCopy(BenchEnvironment env, string csv, long rows)
    {
        var columns = string.Join(", ", TestData.CsvColumns.Select(c => $"{c.Name} {c.Sql}"));
        await Sql(env, $"drop schema if exists bench_psql cascade; create schema bench_psql; create table bench_psql.trips ({columns})");
        var start = new ProcessStartInfo(env.Psql) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var pg = new NpgsqlConnectionStringBuilder(env.Postgres);
        foreach (var arg in new[] { "-h", pg.Host!, "-p", pg.Port.ToString(), "-U", pg.Username!, "-d", pg.Database!, "-v", "ON_ERROR_STOP=1",
                     "-c", $"\\copy bench_psql.trips from '{csv}' csv header" })
            start.ArgumentList.Add(arg);
        start.Environment["PGPASSWORD"] = pg.Password;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed;
        if (process.ExitCode != 0 || !output.Contains($"COPY {rows}", StringComparison.Ordinal))
            throw new InvalidOperationException($"psql \\copy failed ({process.ExitCode}): {output}");
        // The baseline's table is not needed afterwards; dropping it keeps the database as small as Inlet's runs see it.
        await Sql(env, "drop schema bench_psql cascade");
        return elapsed;
    }

    private static async Task Sql(BenchEnvironment env, string sql)
    {
        await using var connection = new NpgsqlConnection(env.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    internal sealed record LoadResult(TimeSpan Total, TimeSpan Upload, double RssBeforeMb, double PeakRssMb, List<string> Types, JsonObject Phases);

    /// <summary>
    /// The CSV's route through Inlet, from the event store's commit times (the database's clock for all three):
    /// detected (upload_received), staged (upload_staged), loaded (table_loaded), each from the one before.
    /// </summary>
    private static async Task<JsonObject> Phases(BenchEnvironment env, string wsid, DateTimeOffset committed)
    {
        await using var connection = new NpgsqlConnection(env.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            with csv as (select stream_id from events.mt_events where type = 'upload_received' and data->>'Wsid' = @wsid and (data->>'BlobName' like '%.csv' or data->>'BlobName' like '%.parquet'))
            select (select min(timestamp) from events.mt_events where type = 'upload_received' and stream_id in (select stream_id from csv)),
                   (select min(timestamp) from events.mt_events where type = 'upload_staged' and stream_id in (select stream_id from csv)),
                   (select max(timestamp) from events.mt_events where type = 'table_loaded' and data->>'Wsid' = @wsid),
                   (select (data->'Scan'->>'Seconds')::float8 from events.mt_events where type = 'table_loaded' and data->>'Wsid' = @wsid order by seq_id desc limit 1),
                   (select (data->'Scan'->>'WaitedSeconds')::float8 from events.mt_events where type = 'table_loaded' and data->>'Wsid' = @wsid order by seq_id desc limit 1)
            """, connection);
        command.Parameters.AddWithValue("wsid", wsid);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
        var (detected, staged, loaded) = (At(0), At(1), At(2));
        static JsonNode? Span(DateTimeOffset? from, DateTimeOffset? to) => from is { } f && to is { } t ? Stats.Round((t - f).TotalSeconds) : null;
        double? Seconds(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
        var (scan, waited) = (Seconds(3), Seconds(4));
        var load = loaded is { } l ? (l - committed).TotalSeconds : (double?)null;
        return new JsonObject
        {
            ["commit_to_detected"] = Span(committed, detected),
            ["detected_to_staged"] = Span(detected, staged),
            ["staged_to_loaded"] = Span(staged, loaded),
            // The scan in the load's own read (docs/adr/0037): how long clamd took from the load's first byte to its verdict
            // (beside the load), how long the commit waited for that verdict, and that wait's share of load_s. Null where
            // the file was scanned before it was staged (then the scan is inside detected_to_staged).
            ["scan_s"] = scan is { } s ? Stats.Round(s) : null,
            ["scan_wait_s"] = waited is { } w ? Stats.Round(w) : null,
            ["scan_share_of_load"] = waited is { } ww && load is > 0 ? Stats.Round(ww / load.Value, 3) : null,
        };
    }

    internal static async Task<LoadResult> InletLoad(BenchContext context, string wsid, string csv, long rows, string? schema)
    {
        BenchContext.Log($"{(csv.EndsWith(".parquet", StringComparison.Ordinal) ? "parquet_load: Inlet, Parquet" : $"csv_load: Inlet, {(schema is null ? "inferred types" : "Table Schema")}")}");
        using var client = await context.SignIn(wsid);
        var token = await client.Issue(wsid, toDatabase: true);
        var before = ProcStats.MemoryMb(context.Host.Pid);
        await using var rss = new RssSampler(context.Host.Pid);
        var clock = Stopwatch.StartNew();
        if (schema is not null)
        {
            // Metadata first, as a careful uploader sends it, so the CSV loads with it at once rather than
            // after the grace period for late metadata (docs/adr/0008).
            await AzCopy.Copy(context.Env, schema, token.Sas);
            await Wait.Until(async () => (await client.Get($"/api/workspaces/{wsid}/uploads")).EnumerateArray().Any(u => u.GetProperty("status").GetString() == "routed"),
                TimeSpan.FromMinutes(2), "the Table Schema file is accepted");
        }
        var upload = await AzCopy.Copy(context.Env, csv, token.Sas);
        var committed = DateTimeOffset.UtcNow;
        List<string>? types = null;
        await Wait.Until(async () =>
        {
            var uploads = await client.Get($"/api/workspaces/{wsid}/uploads");
            if (uploads.EnumerateArray().FirstOrDefault(u => u.GetProperty("status").GetString() == "rejected") is { ValueKind: System.Text.Json.JsonValueKind.Object } rejected)
                throw new InvalidOperationException($"Inlet refused the file: {rejected.GetProperty("error")}");
            var table = (await client.Get($"/api/workspaces/{wsid}/tables")).EnumerateArray().FirstOrDefault(t => t.GetProperty("name").GetString() == "trips");
            if (table.ValueKind != System.Text.Json.JsonValueKind.Object || table.GetProperty("rows").GetInt64() != rows)
                return false;
            types = table.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()} {c.GetProperty("type").GetString()}").ToList();
            return true;
        }, context.Size.LongWait, $"table trips of {wsid} holds {rows} rows", pollMs: 500);
        var elapsed = clock.Elapsed;
        return new LoadResult(elapsed, upload, before, rss.PeakMb, types!, await Phases(context.Env, wsid, committed));
    }
}
