namespace Inlet.Tests.Scanning;

/// <summary>
/// A 1 GiB file is scanned through a real Host process while its resident memory is sampled from /proc: the bytes
/// stream from storage to clamd a chunk at a time, so the Host's RSS may grow by at most 50 MB (issue #19).
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class ScanMemoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long Bytes = 1024L * 1024 * 1024;
    private const double GrowthLimitMb = 50;

    [Fact]
    public async Task A_1_GiB_file_is_scanned_with_the_Host_RSS_growing_by_at_most_50_MB()
    {
        var root = Directory.CreateTempSubdirectory("scanmem-");
        var path = Path.Combine(root.FullName, "big.bin");
        await using (var file = File.Create(path))
        {
            var random = new Random(19);
            var chunk = new byte[4 * 1024 * 1024];
            for (long written = 0; written < Bytes; written += chunk.Length)
            {
                random.NextBytes(chunk);
                await file.WriteAsync(chunk);
            }
        }

        var postgres = await TestServices.CreateDatabase("inlet_scanmem");
        await using var host = new HostProcess(postgres);
        await host.Start();
        var ws = InletApp.NewWorkspace("scanmem");
        await host.SignIn("alice", ws);
        var token = await host.Client.Issue(ws, new { reason = "a large file to scan" });
        // Warm up first with a small file through the same path (listing, scan, copy, record): what the Host keeps
        // anyway (code, pools, connections) is in "before", so the growth measured is what the file's size costs.
        var small = Path.Combine(root.FullName, "small.bin");
        await File.WriteAllBytesAsync(small, new byte[4 * 1024 * 1024]);
        Assert.True((await AzCopy.Copy(small, token.Str("token"))).Succeeded);
        await MalwareScanningTests.Settled(host.Client, ws, 1, 120);
        File.Delete(small);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var before = Mb(host.Pid);

        using var sampling = new CancellationTokenSource();
        var peak = before;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Mb(host.Pid));
                await Task.Delay(100);
            }
        });
        try
        {
            var result = await AzCopy.Copy(path, token.Str("token"));
            Assert.True(result.Succeeded, result.Output);
            var started = DateTime.UtcNow;
            var uploads = await MalwareScanningTests.Settled(host.Client, ws, 2, 600);
            var big = uploads.Single(u => u.Str("name") == "big.bin");
            Assert.Equal("routed", big.Str("status"));
            Assert.Equal("clean", big.Str("scan"));
            output.WriteLine($"routed (scanned) {Bytes / 1e9:0.00} GB in {(DateTime.UtcNow - started).TotalSeconds:0} s after AzCopy ended");
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
            root.Delete(recursive: true);
        }
        output.WriteLine($"Host RSS {before:0} MB before, peak {peak:0} MB while a 1 GiB file was uploaded and scanned");
        Assert.True(peak - before <= GrowthLimitMb,
            $"The Host's RSS grew by {peak - before:0} MB (from {before:0} to {peak:0} MB) while a 1 GiB file was scanned; the limit is {GrowthLimitMb} MB.");
    }

    private static double Mb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) / 1024.0;
        throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS");
    }
}
