using Xunit.Abstractions;
using Npgsql;
using ParquetSharp;

namespace Inlet.Tests.Tabular;

/// <summary>
/// A large Parquet file through a real Host process, whose peak resident memory is read from /proc: the issue's
/// limit is 300 MB for a 1 GB file (measured in ./bench.sh parquet_load); here a smaller file, but written as a
/// single row group — the worst case for a reader that holds a row group, and the one Inlet must stream.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class ParquetMemoryTests(ITestOutputHelper output)
{
    private const int Rows = 4_000_000;
    private const double RssLimitMb = 300;

    [Fact]
    public async Task A_large_single_row_group_Parquet_file_loads_with_the_Host_peak_RSS_under_300_MB()
    {
        var root = Directory.CreateTempSubdirectory("upload-");
        var path = Path.Combine(root.FullName, "big.parquet");
        Write(path);
        var bytes = new FileInfo(path).Length;

        var postgres = await TestServices.CreateDatabase("inlet_pqmem");
        await using var host = new HostProcess(postgres);
        await host.Start();
        var ws = InletApp.NewWorkspace("pqmem");
        await host.SignIn("alice", ws);
        var token = await host.Client.Issue(ws, new { reason = "a large Parquet file", upload_to_database = true });
        var before = Mb(host.Pid, "VmRSS");

        var result = await AzCopy.Copy(path, token.Str("token"));
        Assert.True(result.Succeeded, result.Output);
        JsonElement upload = default;
        await TokenApi.Eventually(async () =>
        {
            var uploads = (await host.Client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            upload = uploads.FirstOrDefault();
            return uploads.Count == 1 && upload.Str("status") != "pending";
        }, 300, "the Parquet file is loaded or refused");
        Assert.True(upload.Str("status") == "routed", upload.GetRawText());
        var peak = Mb(host.Pid, "VmHWM");
        output.WriteLine($"Host RSS {before:0} MB before, peak {peak:0} MB, loading {bytes / 1e6:0} MB of Parquet ({Rows:N0} rows, one row group)");

        await using (var connection = new NpgsqlConnection(TestServices.WorkspaceDatabase(postgres, ws)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"select count(*), sum(id), count(comment), min(at) from \"ws_{ws.Replace('-', '_')}\".big", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(Rows, reader.GetInt64(0));
            Assert.Equal((decimal)Rows * (Rows + 1) / 2, reader.GetDecimal(1));
            Assert.Equal(Rows, reader.GetInt64(2));
        }
        Assert.True(peak <= RssLimitMb,
            $"The Host's peak RSS was {peak:0} MB loading a {bytes / 1e6:0} MB Parquet file of {Rows:N0} rows in one row group (it held {before:0} MB before); the limit is {RssLimitMb} MB.");
    }

    /// <summary>Rows in one row group, written a batch at a time (the writer holds the group, the test process is not measured).</summary>
    private static void Write(string path)
    {
        var columns = new Column[]
        {
            new Column<long>("id"), new Column<int>("site"), new Column<DateTime>("at", LogicalType.Timestamp(true, TimeUnit.Micros)),
            new Column<decimal>("weight", LogicalType.Decimal(9, 3)), new Column<bool>("smoker"), new Column<string>("comment"),
        };
        using var writer = new ParquetFileWriter(path, columns);
        using var group = writer.AppendRowGroup();
        const int batch = 100_000;
        var day0 = new DateTime(2015, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        void Column<T>(Func<long, T> value)
        {
            using var column = group.NextColumn().LogicalWriter<T>();
            var buffer = new T[batch];
            for (long start = 0; start < Rows; start += batch)
            {
                var n = (int)Math.Min(batch, Rows - start);
                for (var i = 0; i < n; i++)
                    buffer[i] = value(start + i + 1);
                column.WriteBatch(buffer, 0, n);
            }
        }
        Column(i => i);
        Column(i => (int)(i * 7919 % 400));
        Column(i => day0.AddSeconds(i * 104729 % 315_360_000));
        Column(i => i * 31 % 120_000 / 1000m + 30);
        Column(i => i % 3 == 0);
        Column(i => $"Visit {i % 97}, site {i * 7919 % 400}: follow-up number {i}, weight checked");
        writer.Close();
    }

    private static double Mb(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) / 1024.0;
        throw new InvalidOperationException($"/proc/{pid}/status has no {field}");
    }
}
