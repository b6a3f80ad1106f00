using System.Diagnostics;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;

namespace Inlet.Bench.Scenarios;

/// <summary>
/// Many active tokens nobody uses: what watching them costs the Host (CPU over a window, from /proc),
/// and how quickly an upload to one of them is still routed.
/// </summary>
public sealed class IdleTokensScenario : IScenario
{
    public string Name => "idle_tokens";

    public async Task<JsonObject> Run(BenchContext context)
    {
        var size = context.Size;
        using var client = await context.SignIn(TokensScenario.Workspace);
        var missing = Math.Max(0, size.IdleTokens - TokensScenario.Issued.Count);
        BenchContext.Log($"idle_tokens: issuing {missing} more tokens, to {size.IdleTokens}");
        var issuing = await TokensScenario.Measure(missing, async _ => TokensScenario.Issued.Enqueue(await client.Issue(TokensScenario.Workspace)));

        // The poller reloads its catalogue every 2 s; give it that before the window opens.
        await Task.Delay(TimeSpan.FromSeconds(5));
        BenchContext.Log($"idle_tokens: measuring CPU for {size.IdleWindow.TotalSeconds:0} s");
        var host = new CpuMeter(context.Host.Pid);
        var azurite = context.Env.AzuritePid is { } pid ? new CpuMeter(pid) : null;
        var listedBefore = context.Host.Listings;
        await Task.Delay(size.IdleWindow);
        var listedAfter = context.Host.Listings;
        double? listPerSecond = listedAfter.At > listedBefore.At && listedBefore.At != default
            ? (listedAfter.Listings - listedBefore.Listings) / (listedAfter.At - listedBefore.At).TotalSeconds : null;
        var hostCpu = host.PercentOfOneCore();
        var azuriteCpu = azurite?.PercentOfOneCore();

        // An upload to the oldest token (the one the poller should look at least often).
        var probe = TokensScenario.Issued.First();
        var blob = new BlobContainerClient(new Uri(probe.Sas)).GetBlobClient("probe/idle-token-probe.txt");
        await blob.UploadAsync(BinaryData.FromString("probe"));
        var committed = DateTimeOffset.UtcNow; // the upload's response came back: the blob is committed by now
        var clock = Stopwatch.StartNew();
        DateTimeOffset routedAt = default;
        await Wait.Until(async () =>
        {
            var routed = (await client.Get($"/api/workspaces/{TokensScenario.Workspace}/uploads")).EnumerateArray()
                .FirstOrDefault(u => u.GetProperty("name").GetString() == "probe/idle-token-probe.txt" && u.GetProperty("status").GetString() == "routed");
            if (routed.ValueKind != System.Text.Json.JsonValueKind.Object)
                return false;
            routedAt = routed.GetProperty("at").GetDateTimeOffset();
            return true;
        }, TimeSpan.FromMinutes(12), "the probe upload to an idle token is routed", pollMs: 100);

        return new JsonObject
        {
            ["scenario"] = Name,
            ["active_tokens"] = TokensScenario.Issued.Count,
            ["issue_tokens_per_s"] = Stats.Round(issuing.PerSecond),
            ["window_s"] = size.IdleWindow.TotalSeconds,
            ["cpu_pct_of_one_core"] = Stats.Round(hostCpu),
            ["azurite_cpu_pct_of_one_core"] = azuriteCpu is { } a ? Stats.Round(a) : null,
            ["list_calls_per_s"] = listPerSecond is { } l ? Stats.Round(l) : null,
            ["host_rss_mb"] = Math.Round(ProcStats.MemoryMb(context.Host.Pid)),
            ["routing_lag_ms"] = Math.Round((routedAt - committed).TotalMilliseconds),
            ["probe_listed_after_ms"] = Math.Round(clock.Elapsed.TotalMilliseconds),
        };
    }
}
