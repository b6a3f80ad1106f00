using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Npgsql;

namespace Inlet.Bench.Scenarios;

/// <summary>
/// Many active tokens nobody uses: what watching them costs (Host and Azurite CPU over a window, from /proc; container
/// listings per second), and how quickly an upload to one of them is still routed — polling only at the default
/// settings, with a second node beside the first, and with push detection (Event Grid) on (docs/adr/0010, 0022, 0025).
/// The tokens' ages are spread over 30 days as a month of real issuing leaves them, because the poller lists a
/// container at a tenth of its token's age: tokens all issued a minute ago would be listed every few seconds and
/// measure a state production is in only for minutes.
/// </summary>
public sealed class IdleTokensScenario : IScenario
{
    public string Name => "idle_tokens";

    private const string EventGridKey = "bench-event-grid-key";

    /// <summary>Ages spread over the longest validity a token may have.</summary>
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    public async Task<JsonObject> Run(BenchContext context)
    {
        var size = context.Size;
        var env = context.Env;
        using var client = await context.SignIn(TokensScenario.Workspace);
        var missing = Math.Max(0, size.IdleTokens - TokensScenario.Issued.Count);
        BenchContext.Log($"idle_tokens: issuing {missing} more tokens, to {size.IdleTokens}");
        var issuing = await TokensScenario.Measure(missing, async _ => TokensScenario.Issued.Enqueue(await client.Issue(TokensScenario.Workspace)));
        var tokens = TokensScenario.Issued.ToList();

        // A month of issuing, then a node (re)starting: its schedule starts from those ages, as in production.
        await Backdate(env, tokens);
        BenchContext.Log($"idle_tokens: {tokens.Count} token ages spread over {Month.TotalDays:0} days; restarting the Host");
        await context.Host.Restart(env);
        await WaitForShares(env, 1);
        await Task.Delay(Settle(context)); // the catalogue read, the first round's schedule set, start-up work done

        BenchContext.Log($"idle_tokens: polling only, measuring for {size.IdleWindow.TotalSeconds:0} s");
        var pollOnly = await Measure(context, size.IdleWindow, [context.Host]);

        // An upload to the oldest token (the one the poller should look at least often).
        var probe = tokens.First();
        var blob = new BlobContainerClient(new Uri(probe.Sas)).GetBlobClient("probe/idle-token-probe.txt");
        await blob.UploadAsync(BinaryData.FromString("probe"));
        var committed = DateTimeOffset.UtcNow; // the upload's response came back: the blob is committed by now
        var clock = Stopwatch.StartNew();
        var routedAt = (await RoutedAt(client, ["probe/idle-token-probe.txt"], TimeSpan.FromMinutes(12)))["probe/idle-token-probe.txt"];
        var probeSeenAfter = clock.Elapsed;

        var twoNodes = await TwoNodes(context, pollOnly);
        var push = await Push(context, client, tokens);
        BenchContext.Log("idle_tokens: restarting the Host with the default settings for the scenarios after this one");
        await context.Host.Restart(env);
        await WaitForShares(env, 1);

        return new JsonObject
        {
            ["scenario"] = Name,
            ["active_tokens"] = tokens.Count,
            ["token_ages_days"] = $"0-{Month.TotalDays:0} uniform",
            ["issue_tokens_per_s"] = Stats.Round(issuing.PerSecond),
            ["window_s"] = size.IdleWindow.TotalSeconds,
            ["cpu_pct_of_one_core"] = Stats.Round(pollOnly.HostCpu[0]),
            ["azurite_cpu_pct_of_one_core"] = pollOnly.AzuriteCpu is { } a ? Stats.Round(a) : null,
            ["list_calls_per_s"] = pollOnly.ListCallsPerSecond is { } l ? Stats.Round(l) : null,
            ["host_rss_mb"] = Math.Round(ProcStats.MemoryMb(context.Host.Pid)),
            ["routing_lag_ms"] = Math.Round((routedAt - committed).TotalMilliseconds),
            ["probe_listed_after_ms"] = Math.Round(probeSeenAfter.TotalMilliseconds),
            ["two_nodes"] = twoNodes,
            ["push"] = push,
        };
    }

    /// <summary>
    /// How long after a Host (re)starts before its cost is measured: its start-up is not what watching costs. 90 s, not
    /// 20: code run every 2–5 s (the catalogue, the leases, Wolverine's agents) reaches the JIT's tier-up count only
    /// after a minute, and after a 20 s settle the JIT was still 15 % of the push window's samples (session 11).
    /// </summary>
    private static TimeSpan Settle(BenchContext context) => TimeSpan.FromSeconds(context.Size.Quick ? 5 : 90);

    private sealed record Window(double[] HostCpu, double? AzuriteCpu, double? ListCallsPerSecond);

    /// <summary>CPU of each Host and of Azurite over the window, and the listings per second of all the Hosts together.</summary>
    private static async Task<Window> Measure(BenchContext context, TimeSpan window, IReadOnlyList<InletHost> hosts, Func<Task>? during = null)
    {
        await Wait.Until(() => Task.FromResult(hosts.All(h => h.Listings.At != default)), TimeSpan.FromSeconds(30), "every Host reports its listings");
        var cpu = hosts.Select(h => new CpuMeter(h.Pid)).ToList();
        var azurite = context.Env.AzuritePid is { } pid ? new CpuMeter(pid) : null;
        var before = hosts.Select(h => h.Listings).ToList();
        var waiting = Task.Delay(window);
        if (during is not null)
            await during();
        await waiting;
        var after = hosts.Select(h => h.Listings).ToList();
        double? perSecond = 0;
        for (var i = 0; i < hosts.Count; i++)
            perSecond = after[i].At > before[i].At
                ? perSecond + (after[i].Listings - before[i].Listings) / (after[i].At - before[i].At).TotalSeconds
                : null;
        return new Window(cpu.Select(c => c.PercentOfOneCore()).ToArray(), azurite?.PercentOfOneCore(), perSecond);
    }

    /// <summary>
    /// A second node beside the first (default settings): the containers are shared, so together they should list
    /// what one listed (docs/adr/0025-one-poller-per-container.md).
    /// </summary>
    private static async Task<JsonObject> TwoNodes(BenchContext context, Window one)
    {
        BenchContext.Log("idle_tokens: starting a second node");
        await using var second = await InletHost.Start(context.Env, logName: "host-2.log");
        await WaitForShares(context.Env, 2);
        await Task.Delay(Settle(context));
        BenchContext.Log($"idle_tokens: two nodes, measuring for {context.Size.IdleWindow.TotalSeconds:0} s");
        var two = await Measure(context, context.Size.IdleWindow, [context.Host, second]);
        await second.Stop(); // in order: its shares go back to the first node at once
        await WaitForShares(context.Env, 1);
        return new JsonObject
        {
            ["list_calls_per_s"] = two.ListCallsPerSecond is { } l ? Stats.Round(l) : null,
            ["list_calls_ratio_vs_one_node"] = two.ListCallsPerSecond is { } t && one.ListCallsPerSecond is { } o && o > 0 ? Stats.Round(t / o, 2) : null,
            ["cpu_pct_of_one_core_per_node"] = new JsonArray(two.HostCpu.Select(c => (JsonNode)Stats.Round(c)).ToArray()),
            ["azurite_cpu_pct_of_one_core"] = two.AzuriteCpu is { } a ? Stats.Round(a) : null,
        };
    }

    /// <summary>
    /// Push detection on (Ingestion:PushDetection, the safety net at its default 15 min): one window with nothing
    /// uploaded (what watching costs), then one whose uploads are announced as Event Grid delivers BlobCreated (Event
    /// Grid schema, POSTed with the key); each one's detection lag is its commit → routed.
    /// </summary>
    private static async Task<JsonObject> Push(BenchContext context, InletClient client, IReadOnlyList<InletClient.IssuedToken> tokens)
    {
        BenchContext.Log("idle_tokens: restarting the Host with push detection");
        await context.Host.Restart(context.Env, new Dictionary<string, string>
        {
            ["Ingestion__PushDetection"] = "true",
            ["Ingestion__EventGridKey"] = EventGridKey,
        });
        await WaitForShares(context.Env, 1);
        await Task.Delay(Settle(context));
        var probes = context.Size.Quick ? 5 : 24;
        var window = context.Size.IdleWindow;
        // First what watching costs with push on (nothing uploaded: the safety net's listings, the catalogue, the
        // leases), then a window with uploads for the detection lag, whose cost also holds routing them.
        BenchContext.Log($"idle_tokens: push detection, measuring idle for {window.TotalSeconds:0} s");
        var idle = await Measure(context, window, [context.Host]);
        var committed = new Dictionary<string, DateTimeOffset>();
        using var grid = new HttpClient { BaseAddress = context.Host.Address };
        BenchContext.Log($"idle_tokens: push detection, measuring for {window.TotalSeconds:0} s with {probes} uploads announced by Event Grid deliveries");
        var measured = await Measure(context, window, [context.Host], async () =>
        {
            var every = window / (probes + 1);
            for (var k = 0; k < probes; k++)
            {
                await Task.Delay(every);
                var token = tokens[(int)((long)k * 7919 % tokens.Count)];
                var name = $"probe/push-{k:D2}.txt";
                var container = new BlobContainerClient(new Uri(token.Sas));
                var uploaded = await container.GetBlobClient(name).UploadAsync(BinaryData.FromString($"push probe {k}"));
                committed[name] = DateTimeOffset.UtcNow;
                var delivery = await grid.PostAsJsonAsync($"/api/ingestion/eventgrid?key={EventGridKey}",
                    new[] { BlobCreated(container.Name, name, uploaded.Value.ETag.ToString(), $"push probe {k}".Length) });
                if (!delivery.IsSuccessStatusCode)
                    throw new InvalidOperationException($"the Event Grid delivery was refused: {(int)delivery.StatusCode} {await delivery.Content.ReadAsStringAsync()}");
            }
        });
        // Read after the window, so that polling the uploads list does not count as the Host's cost of watching.
        var routed = await RoutedAt(client, committed.Keys.ToList(), TimeSpan.FromMinutes(2));
        var lags = committed.Select(c => (routed[c.Key] - c.Value).TotalMilliseconds).ToList();
        return new JsonObject
        {
            ["cpu_pct_of_one_core"] = Stats.Round(idle.HostCpu[0]),
            ["azurite_cpu_pct_of_one_core"] = idle.AzuriteCpu is { } a ? Stats.Round(a) : null,
            ["list_calls_per_s"] = idle.ListCallsPerSecond is { } l ? Stats.Round(l) : null,
            ["with_uploads_cpu_pct_of_one_core"] = Stats.Round(measured.HostCpu[0]),
            ["with_uploads_list_calls_per_s"] = measured.ListCallsPerSecond is { } m ? Stats.Round(m) : null,
            ["probe_uploads"] = lags.Count,
            ["detection_lag_p50_ms"] = Math.Round(Stats.Percentile(lags, 50)),
            ["detection_lag_p95_ms"] = Math.Round(Stats.Percentile(lags, 95)),
        };
    }

    /// <summary>A BlobCreated event as Event Grid delivers it in its own schema (a storage account's system topic).</summary>
    private static object BlobCreated(string container, string blob, string etag, long length) => new
    {
        topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.Storage/storageAccounts/inletlanding",
        subject = $"/blobServices/default/containers/{container}/blobs/{blob}",
        eventType = "Microsoft.Storage.BlobCreated",
        id = Guid.NewGuid().ToString(),
        data = new
        {
            api = "PutBlob",
            clientRequestId = Guid.NewGuid().ToString(),
            requestId = Guid.NewGuid().ToString(),
            eTag = etag,
            contentType = "application/octet-stream",
            contentLength = length,
            blobType = "BlockBlob",
            url = $"https://inletlanding.blob.core.windows.net/{container}/{blob}",
            sequencer = "0000000000000000000000000000" + DateTime.UtcNow.Ticks.ToString("X16"),
            storageDiagnostics = new { batchId = Guid.NewGuid().ToString() },
        },
        dataVersion = "",
        metadataVersion = "1",
        eventTime = DateTimeOffset.UtcNow.ToString("O"),
    };

    /// <summary>When each named upload was routed (the upload record's time), waiting until all are.</summary>
    private static async Task<Dictionary<string, DateTimeOffset>> RoutedAt(InletClient client, IReadOnlyList<string> names, TimeSpan timeout)
    {
        var routed = new Dictionary<string, DateTimeOffset>();
        await Wait.Until(async () =>
        {
            foreach (var u in (await client.Get($"/api/workspaces/{TokensScenario.Workspace}/uploads")).EnumerateArray())
                if (u.GetProperty("status").GetString() == "routed" && u.GetProperty("name").GetString() is { } name && names.Contains(name))
                    routed[name] = u.GetProperty("at").GetDateTimeOffset();
            return names.All(routed.ContainsKey);
        }, timeout, $"{names.Count} probe upload(s) to idle tokens routed", pollMs: 100);
        return routed;
    }

    /// <summary>
    /// Sets the tokens' issue times (TokenContainer.ActivatedAt, what the poller's schedule reads) as a month of steady
    /// issuing would have left them: evenly from 30 days ago to now, oldest first in issue order. Validity and expiry
    /// are left as issued; they do not change what watching costs.
    /// </summary>
    private static async Task Backdate(BenchEnvironment env, IReadOnlyList<InletClient.IssuedToken> tokens)
    {
        var now = DateTimeOffset.UtcNow;
        var ids = tokens.Select(t => t.Tid).ToArray();
        var issuedAt = tokens.Select((_, i) => (now - Month * ((tokens.Count - i - 0.5) / tokens.Count)).ToString("O")).ToArray();
        await using var connection = new NpgsqlConnection(env.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "update ingestion.mt_doc_tokencontainer d set data = jsonb_set(d.data, '{ActivatedAt}', to_jsonb(a.at)), mt_last_modified = now() " +
            "from unnest(@ids, @at) as a(id, at) where d.id = a.id", connection);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("at", issuedAt);
        var updated = await command.ExecuteNonQueryAsync();
        if (updated != tokens.Count)
            throw new InvalidOperationException($"backdated {updated} of {tokens.Count} token containers");
    }

    /// <summary>Waits until <paramref name="nodes"/> live nodes hold every container share between them, as evenly as they can.</summary>
    private static async Task WaitForShares(BenchEnvironment env, int nodes)
    {
        await Wait.Until(async () =>
        {
            await using var connection = new NpgsqlConnection(env.Postgres);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "select count(*)::int from ingestion.poll_shares where owner is not null and expires_at > now() group by owner", connection);
            var held = new List<int>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                held.Add(reader.GetInt32(0));
            return held.Count == nodes && held.Sum() == 256 && held.Max() - held.Min() <= 1;
        }, TimeSpan.FromSeconds(60), $"{nodes} node(s) hold every container share");
    }
}
