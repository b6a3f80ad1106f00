using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;

namespace Inlet.Bench.Scenarios;

/// <summary>
/// A 1 GiB tree uploaded with AzCopy through an Inbox token until every file is listed in the Inbox,
/// against the same AzCopy command into a plain container (what a user without Inlet would do).
/// Reports the routing lag of all files and of the small ones (issue #16: small files first), and Azurite's CPU time
/// per GB for both runs: raw AzCopy's is the floor the emulator sets, whatever Inlet does.
/// </summary>
public sealed class IngestScenario : IScenario
{
    public string Name => "ingest";

    /// <summary>The issue's "small file" bound for <c>routing_lag_small_*</c> (Ingestion:SmallFileMaxBytes' default).</summary>
    private const long SmallFileBytes = 8L << 20;

    public async Task<JsonObject> Run(BenchContext context)
    {
        var size = context.Size;
        BenchContext.Log("ingest: generating the file tree (kept for later runs)");
        var (tree, files, bytes) = TestData.Tree(context.Env, size.TreeSmallFiles, size.TreeLargeFiles, size.TreeLargeFileBytes);
        var source = Path.Combine(tree, "*");

        // Baseline before and after Inlet, mean used (docs/adr/0010).
        var (rawBefore, rawAzuriteBefore) = await RawAzCopyWithCpu(context, source);

        BenchContext.Log("ingest: AzCopy through an Inlet Inbox token, until every file is in the Inbox");
        const string wsid = "bench-ingest";
        using var client = await context.SignIn(wsid);
        var token = await client.Issue(wsid);
        await using var commits = new CommitWatcher(context.Landing.Container($"upload-{token.Tid:N}"));
        var azuriteCpu = AzuriteCpu(context);
        var hostCpu = ProcStats.CpuTime(context.Host.Pid);
        var clock = Stopwatch.StartNew();
        var upload = await AzCopy.Copy(context.Env, source, token.Sas);
        await Wait.Until(async () => (await client.Get($"/api/workspaces/{wsid}/inbox")).GetArrayLength() >= files,
            size.LongWait, $"{files} files listed in the Inbox", pollMs: 200);
        var inlet = clock.Elapsed;
        var inletAzurite = AzuriteCpu(context) - azuriteCpu;
        var inletHost = ProcStats.CpuTime(context.Host.Pid) - hostCpu;
        await commits.DisposeAsync();
        var (rawAfter, rawAzuriteAfter) = await RawAzCopyWithCpu(context, source);
        var rawTime = (rawBefore + rawAfter) / 2;
        var gb = bytes / 1e9;

        var routedAt = (await client.Get($"/api/workspaces/{wsid}/uploads")).EnumerateArray()
            .ToDictionary(u => u.GetProperty("name").GetString()!, u => u.GetProperty("at").GetDateTimeOffset());
        var sampled = commits.Committed
            .Where(c => routedAt.ContainsKey(c.Key))
            .Select(c => (Small: new FileInfo(Path.Combine(tree, c.Key)).Length <= SmallFileBytes, Lag: (routedAt[c.Key] - c.Value).TotalMilliseconds))
            .ToList();
        var lags = sampled.Select(s => s.Lag).ToList();
        var small = sampled.Where(s => s.Small).Select(s => s.Lag).ToList();
        var large = sampled.Where(s => !s.Small).Select(s => s.Lag).ToList();
        return new JsonObject
        {
            ["scenario"] = Name,
            ["files"] = files,
            ["bytes"] = bytes,
            ["raw_azcopy_s"] = Stats.Round(rawTime.TotalSeconds),
            ["raw_azcopy_runs_s"] = new JsonArray(Stats.Round(rawBefore.TotalSeconds), Stats.Round(rawAfter.TotalSeconds)),
            ["inlet_s"] = Stats.Round(inlet.TotalSeconds),
            ["inlet_azcopy_s"] = Stats.Round(upload.TotalSeconds),
            ["ratio_vs_raw_azcopy"] = Stats.Round(inlet / rawTime, 2),
            // Compare two runs (INLET_BENCH_SCANNING=false for the second) for the scan's cost per GB: (inlet_s on − off) / gb.
            ["scanning"] = InletHost.Scanning,
            ["inlet_s_per_gb"] = Stats.Round(inlet.TotalSeconds / (bytes / 1e9), 2),
            ["routing_lag_p50_ms"] = Math.Round(Stats.Percentile(lags, 50)),
            ["routing_lag_p95_ms"] = Math.Round(Stats.Percentile(lags, 95)),
            ["routing_lag_max_ms"] = Math.Round(Stats.Percentile(lags, 100)),
            ["routing_lag_samples"] = lags.Count,
            ["routing_lag_small_p50_ms"] = Lag(small, 50),
            ["routing_lag_small_p95_ms"] = Lag(small, 95),
            ["routing_lag_small_samples"] = small.Count,
            ["routing_lag_large_p50_ms"] = Lag(large, 50),
            ["routing_lag_large_max_ms"] = Lag(large, 100),
            ["routing_lag_large_samples"] = large.Count,
            // Per GB of the tree: Inlet's run from AzCopy's start until every file is in the Inbox, against raw AzCopy's.
            ["azurite_cpu_s_per_gb"] = CpuPerGb(inletAzurite, gb),
            ["raw_azcopy_azurite_cpu_s_per_gb"] = CpuPerGb((rawAzuriteBefore + rawAzuriteAfter) / 2, gb),
            ["host_cpu_s_per_gb"] = Stats.Round(inletHost.TotalSeconds / gb, 2),
        };
    }

    /// <summary>A lag percentile, or null where no file of that kind was sampled (the quick tree has no large files).</summary>
    private static JsonNode? Lag(List<double> samples, double percentile) =>
        samples.Count == 0 ? null : JsonValue.Create(Math.Round(Stats.Percentile(samples, percentile)));

    private static JsonNode? CpuPerGb(TimeSpan? cpu, double gb) => cpu is { } c ? JsonValue.Create(Stats.Round(c.TotalSeconds / gb, 2)) : null;

    /// <summary>Azurite's CPU time so far, when the bench knows its process (bench.sh passes it).</summary>
    private static TimeSpan? AzuriteCpu(BenchContext context) =>
        context.Env.AzuritePid is { } pid ? ProcStats.CpuTime(pid) : null;

    private static async Task<(TimeSpan Elapsed, TimeSpan? AzuriteCpu)> RawAzCopyWithCpu(BenchContext context, string source)
    {
        var before = AzuriteCpu(context);
        var elapsed = await RawAzCopy(context, source);
        return (elapsed, AzuriteCpu(context) - before);
    }

    /// <summary>The same AzCopy command into a plain container, with an SDK SAS of a token's permissions.</summary>
    internal static async Task<TimeSpan> RawAzCopy(BenchContext context, string source)
    {
        BenchContext.Log("ingest: AzCopy into a plain container (baseline)");
        var raw = context.Landing.Container($"bench-raw-{Guid.NewGuid():N}"); // where token containers are
        await raw.CreateAsync();
        var sas = raw.GenerateSasUri(new BlobSasBuilder(BlobContainerSasPermissions.Add | BlobContainerSasPermissions.Create | BlobContainerSasPermissions.Write,
            DateTimeOffset.UtcNow.AddHours(2)) { BlobContainerName = raw.Name, Resource = "c" });
        var elapsed = await AzCopy.Copy(context.Env, source, sas.ToString());
        await raw.DeleteAsync(); // frees Azurite's disk and keeps its listing small for Inlet's run
        return elapsed;
    }

    /// <summary>
    /// Estimates when each blob was committed: Azure's Last-Modified has whole seconds only, so the
    /// estimate is the later of Last-Modified and the start of the last listing that did not yet show the
    /// blob. Lists with the account key while AzCopy runs; blobs Inlet routes away between two listings
    /// are not sampled (the count says how many were).
    /// </summary>
    private sealed class CommitWatcher : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public CommitWatcher(BlobContainerClient container)
        {
            _loop = Task.Run(async () =>
            {
                var previousStart = DateTimeOffset.UtcNow;
                while (!_stop.IsCancellationRequested)
                {
                    var start = DateTimeOffset.UtcNow;
                    try
                    {
                        await foreach (var blob in container.GetBlobsAsync(cancellationToken: _stop.Token))
                        {
                            var modified = blob.Properties.LastModified ?? start;
                            Committed.TryAdd(blob.Name, modified > previousStart ? modified : previousStart);
                        }
                    }
                    catch (OperationCanceledException) { return; }
                    catch (Azure.RequestFailedException) { } // the container may not exist for a moment; listed again next round
                    previousStart = start;
                    try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { return; }
                }
            });
        }

        public ConcurrentDictionary<string, DateTimeOffset> Committed { get; } = new();

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
                await _stop.CancelAsync();
            await _loop;
        }
    }
}
