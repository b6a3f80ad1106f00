using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Inlet.Tokens.Storage;

namespace Inlet.Bench.Scenarios;

/// <summary>
/// Tokens issued over HTTP by 16 concurrent clients, against the storage work alone at the same
/// concurrency (create container, set the stored access policy, sign the SAS — the Tokens module's own
/// <see cref="UploadTokenStorage.Provision"/>), i.e. what issuing costs beyond what it must do.
/// </summary>
public sealed class TokensScenario : IScenario
{
    public const string Workspace = "bench-tokens";

    /// <summary>Every token issued in <see cref="Workspace"/>, oldest first; later scenarios use them.</summary>
    public static readonly ConcurrentQueue<InletClient.IssuedToken> Issued = new();

    public string Name => "tokens";

    public async Task<JsonObject> Run(BenchContext context)
    {
        var count = context.Size.TokensIssued;
        var storage = new UploadTokenStorage(context.Accounts);
        var validTo = DateTimeOffset.UtcNow.AddDays(30);
        async Task Provision(int _) => await storage.Provision($"bench-sdk-{Guid.NewGuid():N}", DateTimeOffset.UtcNow, validTo, CancellationToken.None);

        using var client = await context.SignIn(Workspace);
        async Task IssueOne(int _) => Issued.Enqueue(await client.Issue(Workspace));

        // Warm both paths (JIT, Wolverine's generated handlers, connection pools) before measuring.
        await Measure(BenchSize.Concurrency, Provision);
        await Measure(BenchSize.Concurrency, IssueOne);

        BenchContext.Log($"tokens: {count} × storage work alone (baseline), {count} × POST upload-tokens, the baseline again");
        var sdkBefore = await Measure(count, Provision);
        var inlet = await Measure(count, IssueOne);
        var sdk = Timings.Mean(sdkBefore, await Measure(count, Provision)); // before and after, mean used (docs/adr/0010)
        await DeleteBaselineContainers(context);

        return new JsonObject
        {
            ["scenario"] = Name,
            ["tokens"] = count,
            ["concurrency"] = BenchSize.Concurrency,
            ["p50_ms"] = Stats.Round(inlet.P50),
            ["p99_ms"] = Stats.Round(inlet.P99),
            ["tokens_per_s"] = Stats.Round(inlet.PerSecond),
            ["sdk_p50_ms"] = Stats.Round(sdk.P50),
            ["sdk_p99_ms"] = Stats.Round(sdk.P99),
            ["sdk_tokens_per_s"] = Stats.Round(sdk.PerSecond),
            ["ratio_vs_sdk"] = Stats.Round(sdk.PerSecond / inlet.PerSecond, 2),
        };
    }

    public sealed record Timings(double P50, double P99, double PerSecond)
    {
        public static Timings Mean(Timings a, Timings b) => new((a.P50 + b.P50) / 2, (a.P99 + b.P99) / 2, (a.PerSecond + b.PerSecond) / 2);
    }

    /// <summary>Runs <paramref name="work"/> <paramref name="count"/> times on 16 concurrent workers; latency per call, throughput overall.</summary>
    public static async Task<Timings> Measure(int count, Func<int, Task> work)
    {
        var latencies = new ConcurrentBag<double>();
        var wall = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = BenchSize.Concurrency }, async (i, _) =>
        {
            var clock = Stopwatch.StartNew();
            await work(i);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        });
        var samples = latencies.ToArray();
        return new Timings(Stats.Percentile(samples, 50), Stats.Percentile(samples, 99), count / wall.Elapsed.TotalSeconds);
    }

    private static async Task DeleteBaselineContainers(BenchContext context)
    {
        var names = new List<string>();
        await foreach (var container in context.Landing.Service.GetBlobContainersAsync(prefix: "bench-sdk-"))
            names.Add(container.Name);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = BenchSize.Concurrency },
            async (name, ct) => await context.Landing.Container(name).DeleteAsync(cancellationToken: ct));
    }
}
