using Inlet.Ingestion.Detection;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>
/// Sharing the token containers among live nodes (docs/adr/0025-one-poller-per-container.md): the pure decisions,
/// and a model of the lease table driven by them that checks the fence (never two nodes on one share at one
/// instant) and the takeover time, without a database.
/// </summary>
public sealed class ShareDecisionTests
{
    [Fact]
    public void A_token_falls_in_the_same_share_everywhere_and_tokens_spread_evenly_over_the_shares()
    {
        // Pinned: a node of another version must put the container in the same share, or two would list it.
        Assert.Equal(Pinned, ShareDecisions.Bucket(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")));
        var random = new Random(7);
        var counts = new int[ShareDecisions.Buckets];
        for (var i = 0; i < ShareDecisions.Buckets * 100; i++)
            counts[ShareDecisions.Bucket(new Guid(Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256)).ToArray()))]++;
        Assert.All(counts, c => Assert.InRange(c, 50, 150)); // 100 expected, 10 standard deviations
        // Sequential (time-ordered) ids spread too: the hash mixes every byte.
        var sequential = new int[ShareDecisions.Buckets];
        for (var i = 0; i < ShareDecisions.Buckets * 100; i++)
            sequential[ShareDecisions.Bucket(Guid.CreateVersion7(DateTimeOffset.UnixEpoch.AddMilliseconds(i)))]++;
        Assert.All(sequential, c => Assert.InRange(c, 50, 150));
    }

    private const int Pinned = 178;

    [Fact]
    public void Fair_shares_cover_every_share_and_differ_by_at_most_one()
    {
        Assert.Equal(256, ShareDecisions.FairShare(1));
        Assert.Equal(128, ShareDecisions.FairShare(2));
        Assert.Equal(86, ShareDecisions.FairShare(3));
        Assert.Equal(26, ShareDecisions.FairShare(10));
        Assert.Equal(256, ShareDecisions.FairShare(0)); // before its first count a node counts itself
        for (var nodes = 1; nodes <= 300; nodes++)
            Assert.True(ShareDecisions.FairShare(nodes) * nodes >= ShareDecisions.Buckets, $"{nodes} nodes cannot hold every share");
    }

    [Fact]
    public void A_node_takes_up_to_its_fair_share_and_gives_back_what_it_holds_above_it()
    {
        Assert.Equal(new SharePlan(256, 0), ShareDecisions.Plan(0, 1));   // alone: everything
        Assert.Equal(new SharePlan(0, 128), ShareDecisions.Plan(256, 2)); // a second node joined
        Assert.Equal(new SharePlan(128, 0), ShareDecisions.Plan(0, 2));   // the joiner, never more than its part
        Assert.Equal(new SharePlan(128, 0), ShareDecisions.Plan(128, 1)); // the other one died
        Assert.Equal(new SharePlan(0, 0), ShareDecisions.Plan(86, 3));
    }

    [Fact]
    public void A_lease_is_acted_on_only_until_well_before_the_database_lets_another_node_take_it()
    {
        var sentAt = TimeSpan.FromSeconds(100);
        // The database's expiry is its now() (not earlier than the statement was sent) plus the lease.
        foreach (var latency in new[] { 0.0, 0.2, 3.0 })
            Assert.True(sentAt + TimeSpan.FromSeconds(latency) + ShareDecisions.Lease - ShareDecisions.ValidUntil(sentAt) >= ShareDecisions.Margin);
        // Four heartbeats may be missed before a lease is lost; a dead node's shares are free within a lease.
        Assert.True(ShareDecisions.ValidUntil(TimeSpan.Zero) > 4 * ShareDecisions.Heartbeat);
        Assert.True(ShareDecisions.Lease + ShareDecisions.Heartbeat <= TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void The_listing_budget_is_split_by_shares_so_more_nodes_do_not_list_more()
    {
        Assert.Equal(30, ShareDecisions.Budget(30, 256));
        Assert.Equal(15, ShareDecisions.Budget(30, 128));
        Assert.Equal(30, ShareDecisions.Budget(30, 86) + ShareDecisions.Budget(30, 86) + ShareDecisions.Budget(30, 84), 6);
        Assert.Equal(0, ShareDecisions.Budget(30, 0));
        Assert.True(double.IsPositiveInfinity(ShareDecisions.Budget(0, 10)));
    }

    [Fact]
    public void Nodes_joining_and_dying_never_hold_one_share_at_once_and_a_dead_nodes_shares_are_taken_within_a_lease_and_a_heartbeat()
    {
        var table = new LeaseTable(new Random(3));
        var a = table.Join("a");
        table.Run(TimeSpan.FromSeconds(5));
        Assert.Equal(256, a.Held(table.Now));

        var b = table.Join("b");
        var c = table.Join("c");
        table.Run(TimeSpan.FromSeconds(20));
        Assert.All(new[] { a, b, c }, n => Assert.InRange(n.Held(table.Now), 84, 86));

        var died = table.Now;
        c.Dead = true; // stops beating: killed, or paused and about to wake up believing its leases
        var takenOver = table.RunUntil(() => a.Held(table.Now) + b.Held(table.Now) == 256, TimeSpan.FromSeconds(60));
        Assert.True(takenOver - died <= ShareDecisions.Lease + ShareDecisions.Heartbeat + TimeSpan.FromSeconds(1), $"taken over after {takenOver - died}");
        table.Run(TimeSpan.FromSeconds(10));
        Assert.Equal(128, a.Held(table.Now));
        Assert.Equal(128, b.Held(table.Now));
        Assert.Equal(0, table.Overlaps); // checked at every step of the run
    }

    /// <summary>The lease table and its nodes, stepping time by 100 ms; nodes beat every heartbeat with jitter, and the database answers 0–300 ms late.</summary>
    private sealed class LeaseTable(Random random)
    {
        private readonly (string? Owner, TimeSpan Expires)[] _rows = new (string?, TimeSpan)[ShareDecisions.Buckets];
        private readonly List<Node> _nodes = [];
        private readonly Dictionary<string, TimeSpan> _seen = [];

        public TimeSpan Now { get; private set; }

        public int Overlaps { get; private set; }

        public Node Join(string name)
        {
            var node = new Node(name) { NextBeat = Now };
            _nodes.Add(node);
            return node;
        }

        public void Run(TimeSpan span) => RunUntil(() => false, span);

        public TimeSpan RunUntil(Func<bool> done, TimeSpan limit)
        {
            var end = Now + limit;
            while (Now < end)
            {
                foreach (var node in _nodes.Where(n => !n.Dead && n.NextBeat <= Now).ToList())
                {
                    Beat(node);
                    node.NextBeat = Now + ShareDecisions.Heartbeat + TimeSpan.FromMilliseconds(random.Next(0, 200));
                }
                for (var bucket = 0; bucket < ShareDecisions.Buckets; bucket++)
                    // A dead node counts too: one that only paused (GC, a lost connection) still believes its leases.
                    if (_nodes.Count(n => n.Owns(bucket, Now)) > 1)
                        Overlaps++;
                if (done())
                    return Now;
                Now += TimeSpan.FromMilliseconds(100);
            }
            return Now;
        }

        private void Beat(Node node)
        {
            var sentAt = Now;
            var db = Now + TimeSpan.FromMilliseconds(random.Next(0, 300)); // the database's now()
            _seen[node.Name] = db;
            var live = _seen.Count(s => s.Value > db - ShareDecisions.Lease);
            var held = new List<int>();
            for (var b = 0; b < _rows.Length; b++)
                if (_rows[b].Owner == node.Name && _rows[b].Expires > db)
                {
                    _rows[b].Expires = db + ShareDecisions.Lease;
                    held.Add(b);
                }
            Array.Clear(node.ValidUntil);
            foreach (var b in held)
                node.ValidUntil[b] = ShareDecisions.ValidUntil(sentAt);
            var plan = ShareDecisions.Plan(held.Count, live);
            var free = Enumerable.Range(0, _rows.Length).Where(b => _rows[b].Owner is null || _rows[b].Expires <= db).OrderBy(_ => random.Next()).Take(plan.Take);
            foreach (var b in free)
            {
                _rows[b] = (node.Name, db + ShareDecisions.Lease);
                node.ValidUntil[b] = ShareDecisions.ValidUntil(sentAt);
            }
            foreach (var b in held.OrderDescending().Take(plan.Release))
            {
                node.ValidUntil[b] = TimeSpan.Zero; // stop first…
                _rows[b] = (null, TimeSpan.MinValue); // …then free it
            }
        }
    }

    private sealed class Node(string name)
    {
        public string Name => name;
        public bool Dead { get; set; }
        public TimeSpan NextBeat { get; set; }
        public TimeSpan[] ValidUntil { get; } = new TimeSpan[ShareDecisions.Buckets];
        public bool Owns(int bucket, TimeSpan now) => now < ValidUntil[bucket];
        public int Held(TimeSpan now) => Enumerable.Range(0, ShareDecisions.Buckets).Count(b => Owns(b, now));
    }
}
