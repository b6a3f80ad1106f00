using System.Diagnostics;
using System.Text.Json.Nodes;
using Inlet.Tokens;
using Inlet.Tokens.Contracts;
using Inlet.Tokens.IssueUploadToken;
using Inlet.Tokens.RecordUsage;
using JasperFx;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Inlet.Bench.Scenarios;

/// <summary>
/// The audit at the issue's scale (#17: 100,000 tokens, 1,000,000 <c>used</c> events in one workspace):
/// filtered pages of the flat projection, token listing pages, the CSV export's rate and the Host's memory
/// while it streams, and what seeding through the inline projection costs. Tokens and usage are appended
/// through Marten with the Tokens module's own registrations and inline projections (the audit row
/// included), as the Host's handlers append them, not by SQL: issuing 100,000 tokens through the API
/// would create 100,000 storage containers, and routing a million files would take far longer than a
/// bench may.
/// </summary>
public sealed class AuditScenario : IScenario
{
    public const string Workspace = "bench-audit";
    private static readonly string[] People = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];

    public string Name => "audit";

    public async Task<JsonObject> Run(BenchContext context)
    {
        var size = context.Size;
        var now = DateTimeOffset.UtcNow;
        var tids = Enumerable.Range(0, size.AuditTokens).Select(_ => Guid.CreateVersion7()).ToArray();
        var busy = tids[^1];
        await using var provider = Store(context.Env);
        var store = provider.GetRequiredService<IDocumentStore>();

        BenchContext.Log($"audit: issuing {tids.Length} tokens as events in {Workspace}");
        var issuing = Stopwatch.StartNew();
        var span = TimeSpan.FromDays(60);
        foreach (var chunk in tids.Select((tid, i) => (tid, i)).Chunk(2000))
        {
            await using var session = store.LightweightSession();
            foreach (var (tid, i) in chunk)
            {
                var at = now - span + span * ((double)i / tids.Length);
                session.Events.StartStream(tid, new UploadTokenIssued(tid, Workspace, $"bench token {i}", People[i % People.Length], at, at, at.AddDays(30),
                    UploadDestination.Inbox, "bench-none"));
            }
            await session.SaveChangesAsync();
        }
        issuing.Stop();

        BenchContext.Log($"audit: appending {size.AuditUsedEvents} used events ({size.AuditBusyTokenEvents} to one busy token)");
        var seeding = await AppendUsedEvents(store, tids, busy, size, now);

        using var client = await context.SignIn(Workspace);
        var audit = $"/api/workspaces/{Workspace}/audit";
        var listing = $"/api/workspaces/{Workspace}/upload-tokens";

        // Inline: each row commits with its event, so there is nothing to catch up. Checked, not assumed:
        // the chain's length right after the last append is every event seeded.
        var verifying = Stopwatch.StartNew();
        var verify = await client.Get($"{audit}/verify");
        verifying.Stop();
        var entries = verify.GetProperty("entries").GetInt64();
        var expected = (long)tids.Length + size.AuditUsedEvents;
        if (entries != expected)
            throw new InvalidOperationException($"the audit projection holds {entries} entries right after seeding, not {expected}");

        var first = (await client.Get($"{audit}?limit=1")).GetProperty("entries")[0].GetProperty("seq").GetInt64();
        var last = (await client.Get($"{audit}?limit=1&order=desc")).GetProperty("entries")[0].GetProperty("seq").GetInt64();
        var random = new Random(17);
        string RandomTid() => tids[random.Next(tids.Length)].ToString();
        long RandomSeq() => first + (long)(random.NextDouble() * (last - first));
        string RandomDay()
        {
            var day = now.AddDays(-random.Next(1, 29)).ToString("yyyy-MM-dd");
            return $"from={day}&to={DateTimeOffset.Parse(day).AddDays(1):yyyy-MM-dd}";
        }

        BenchContext.Log($"audit: timing filtered pages over {entries} entries");
        var byToken = await Sample(client, size.AuditSamples, () => $"{audit}?tid={RandomTid()}&limit=100");
        var byBusyToken = await Sample(client, size.AuditSamples, () => $"{audit}?tid={busy}&limit=100&after={RandomSeq()}");
        var byType = await Sample(client, size.AuditSamples, () => $"{audit}?type={(random.Next(2) == 0 ? "used" : "issued")}&limit=100&after={RandomSeq()}");
        var byDate = await Sample(client, size.AuditSamples, () => $"{audit}?{RandomDay()}&limit=100");
        var byPerson = await Sample(client, size.AuditSamples, () => $"{audit}?by={People[random.Next(People.Length)]}&limit=100&after={RandomSeq()}");
        var firstListing = await Sample(client, size.AuditSamples, () => $"{listing}?limit=50");
        var deepListing = await Sample(client, size.AuditSamples, () => $"{listing}?limit=50&after={RandomTid()}");
        var trail = await Sample(client, Math.Max(10, size.AuditSamples / 5), () => $"{listing}/{busy}/events");

        BenchContext.Log("audit: exporting the whole workspace audit as CSV");
        var rssBefore = ProcStats.MemoryMb(context.Host.Pid);
        (double Ms, long Bytes, long Lines) csv;
        double rssPeak;
        await using (var sampler = new RssSampler(context.Host.Pid))
        {
            csv = await client.TimeStream($"{audit}?format=csv");
            await Task.Delay(150);
            rssPeak = sampler.PeakMb;
        }

        return new JsonObject
        {
            ["scenario"] = Name,
            ["tokens"] = tids.Length,
            ["used_events"] = size.AuditUsedEvents,
            ["audit_entries"] = entries,
            ["seed_issued_per_s"] = Math.Round(tids.Length / issuing.Elapsed.TotalSeconds),
            ["seed_used_events_per_s"] = Math.Round(size.AuditUsedEvents / seeding.TotalSeconds),
            ["projection_catch_up_s"] = 0, // inline (ADR 18): verified above, every entry present when seeding returned
            ["verify_chain_s"] = Stats.Round(verifying.Elapsed.TotalSeconds, 2),
            ["page_by_token"] = Figures(byToken),
            ["page_by_busy_token_deep"] = Figures(byBusyToken),
            ["page_by_type"] = Figures(byType),
            ["page_by_date_range"] = Figures(byDate),
            ["page_by_person"] = Figures(byPerson),
            ["token_listing_page_50"] = Figures(firstListing),
            ["token_listing_page_50_deep"] = Figures(deepListing),
            ["token_trail_v1"] = Figures(trail),
            ["csv_export_entries"] = csv.Lines - 1,
            ["csv_export_mb"] = Stats.Round(csv.Bytes / 1048576.0),
            ["csv_export_s"] = Stats.Round(csv.Ms / 1000, 2),
            ["csv_export_entries_per_s"] = Math.Round((csv.Lines - 1) / (csv.Ms / 1000)),
            ["csv_export_host_rss_before_mb"] = Math.Round(rssBefore),
            ["csv_export_host_rss_growth_mb"] = Math.Round(Math.Max(0, rssPeak - rssBefore)),
        };
    }

    private static JsonObject Figures(List<double> ms) => new()
    {
        ["p50_ms"] = Stats.Round(Stats.Percentile(ms, 50)),
        ["p99_ms"] = Stats.Round(Stats.Percentile(ms, 99)),
        ["samples"] = ms.Count,
    };

    private static async Task<List<double>> Sample(InletClient client, int count, Func<string> path)
    {
        await client.TimeGet(path()); // warm-up: first-call code generation and query planning are not the steady state
        var samples = new List<double>();
        for (var i = 0; i < count; i++)
            samples.Add(await client.TimeGet(path()));
        return samples;
    }

    private static ServiceProvider Store(BenchEnvironment env)
    {
        var services = new ServiceCollection();
        // The Host's store settings (src/Host/Program.cs), without touching the schema it owns.
        services.AddMarten(opts =>
            {
                opts.Connection(env.Postgres);
                opts.DatabaseSchemaName = "inlet";
                opts.Events.DatabaseSchemaName = "events";
                opts.UseSystemTextJsonForSerialization();
                opts.AutoCreateSchemaObjects = AutoCreate.None;
            })
            .UseLightweightSessions();
        services.AddTokensModule();
        return services.BuildServiceProvider();
    }

    /// <summary>The busy token gets its share; the rest go round-robin to every other token, one file per event, spread over 30 days.</summary>
    private static async Task<TimeSpan> AppendUsedEvents(IDocumentStore store, Guid[] tids, Guid busy, BenchSize size, DateTimeOffset now)
    {
        var others = tids.Where(t => t != busy).ToArray();
        var targets = Enumerable.Repeat(busy, size.AuditBusyTokenEvents)
            .Concat(Enumerable.Range(0, size.AuditUsedEvents - size.AuditBusyTokenEvents).Select(i => others[i % others.Length]))
            .ToArray();
        var span = TimeSpan.FromDays(30);
        var clock = Stopwatch.StartNew();
        var done = 0;
        // One batch at a time: concurrent batches could append to the same stream and conflict on its version.
        foreach (var chunk in targets.Chunk(2000))
        {
            await using var session = store.LightweightSession();
            foreach (var tid in chunk)
            {
                session.Events.Append(tid, new UploadTokenUsed(tid, Guid.NewGuid(), 1, 65536, now - span + span * ((double)done / targets.Length)));
                done++;
            }
            await session.SaveChangesAsync();
            if (done % 100_000 == 0)
                BenchContext.Log($"audit: {done} used events appended ({done / clock.Elapsed.TotalSeconds:0}/s)");
        }
        return clock.Elapsed;
    }
}
