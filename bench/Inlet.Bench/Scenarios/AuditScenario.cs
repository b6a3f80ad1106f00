using System.Diagnostics;
using System.Text.Json.Nodes;
using Inlet.Tokens;
using Inlet.Tokens.RecordUsage;
using JasperFx;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Inlet.Bench.Scenarios;

/// <summary>
/// Reading the audit with many tokens and many upload events in the store: latency of the token listing
/// and of one busy token's trail. The <c>used</c> events are appended through Marten with the Tokens
/// module's own registrations and inline projection (as its usage handler appends them), not by SQL,
/// because routing 100,000 real files would take far longer than the bench may.
/// </summary>
public sealed class AuditScenario : IScenario
{
    public string Name => "audit";

    public async Task<JsonObject> Run(BenchContext context)
    {
        var size = context.Size;
        var tokens = TokensScenario.Issued.ToArray();
        var busy = tokens[1]; // tokens[0] received the idle scenario's probe
        BenchContext.Log($"audit: appending {size.AuditUsedEvents} used events to {tokens.Length} tokens");
        var seeding = await AppendUsedEvents(context.Env, tokens.Select(t => t.Tid).ToArray(), busy.Tid, size);

        using var client = await context.SignIn(TokensScenario.Workspace);
        var listing = $"/api/workspaces/{TokensScenario.Workspace}/upload-tokens";
        var trail = $"{listing}/{busy.Tid}/events";
        var listed = (await client.Get(listing)).GetArrayLength();
        var trailLength = (await client.Get(trail)).GetArrayLength();
        BenchContext.Log($"audit: timing the token listing ({listed} tokens) and a trail of {trailLength} events");
        var listingMs = await Sample(client, listing, Math.Max(10, size.AuditSamples / 2));
        var trailMs = await Sample(client, trail, size.AuditSamples);
        var workspaceAuditMs = await Sample(client, $"/api/workspaces/{TokensScenario.Workspace}/audit", 3);

        return new JsonObject
        {
            ["scenario"] = Name,
            ["tokens"] = listed,
            ["used_events"] = size.AuditUsedEvents,
            ["seed_events_per_s"] = Math.Round(size.AuditUsedEvents / seeding.TotalSeconds),
            ["token_listing_p50_ms"] = Stats.Round(Stats.Percentile(listingMs, 50)),
            ["token_listing_p99_ms"] = Stats.Round(Stats.Percentile(listingMs, 99)),
            ["token_listing_samples"] = listingMs.Count,
            ["trail_events"] = trailLength,
            ["token_trail_p50_ms"] = Stats.Round(Stats.Percentile(trailMs, 50)),
            ["token_trail_p99_ms"] = Stats.Round(Stats.Percentile(trailMs, 99)),
            ["token_trail_samples"] = trailMs.Count,
            ["workspace_audit_p50_ms"] = Stats.Round(Stats.Percentile(workspaceAuditMs, 50)),
        };
    }

    private static async Task<List<double>> Sample(InletClient client, string path, int count)
    {
        await client.TimeGet(path); // warm-up: first-call code generation and query planning are not the steady state
        var samples = new List<double>();
        for (var i = 0; i < count; i++)
            samples.Add(await client.TimeGet(path));
        return samples;
    }

    /// <summary>The busy token gets its share; the rest go round-robin to every other token, one file per event as Ingestion records them.</summary>
    private static async Task<TimeSpan> AppendUsedEvents(BenchEnvironment env, Guid[] tids, Guid busy, BenchSize size)
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
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IDocumentStore>();

        var others = tids.Where(t => t != busy).ToArray();
        var targets = Enumerable.Repeat(busy, size.AuditBusyTokenEvents)
            .Concat(Enumerable.Range(0, size.AuditUsedEvents - size.AuditBusyTokenEvents).Select(i => others[i % others.Length]));
        var clock = Stopwatch.StartNew();
        // One batch at a time: concurrent batches could append to the same stream and conflict on its version.
        foreach (var chunk in targets.Chunk(2000))
        {
            await using var session = store.LightweightSession();
            foreach (var tid in chunk)
                session.Events.Append(tid, new UploadTokenUsed(tid, Guid.NewGuid(), 1, 65536, DateTimeOffset.UtcNow));
            await session.SaveChangesAsync();
        }
        return clock.Elapsed;
    }
}
