using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Weasel.Core;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace Inlet.Ingestion.Detection;

/// <summary>
/// Which token containers this node lists: the containers are cut into <see cref="ShareDecisions.Buckets"/> shares,
/// each leased in PostgreSQL by one live node at a time and renewed every <see cref="ShareDecisions.Heartbeat"/>
/// (docs/adr/0025-one-poller-per-container.md). A lease is a fence: a node acts on a share only until shortly before
/// the database would let another node take it, and gives a share back only after its own listings of it have
/// ended, so no container is listed by two nodes at once. A node that dies frees its shares when their leases run
/// out (≤ <see cref="ShareDecisions.Lease"/>); a survivor takes them at its next heartbeat.
/// </summary>
public sealed class PollShares(NpgsqlDataSource db, ILogger<PollShares> logger) : BackgroundService
{
    private const string SharesTable = IngestionModule.Schema + ".poll_shares";
    private const string NodesTable = IngestionModule.Schema + ".poll_nodes";

    /// <summary>This process's identity in the lease table (a restarted node is a new one: its old leases just run out).</summary>
    public Guid NodeId { get; } = Guid.NewGuid();

    /// <summary>Per share: until when (monotonic ticks) this node may list it; 0 when not held.</summary>
    private readonly long[] _validUntil = new long[ShareDecisions.Buckets];

    /// <summary>Per share: listings of it in progress on this node, so that a share is given back only once they ended.</summary>
    private readonly int[] _listing = new int[ShareDecisions.Buckets];

    /// <summary>Per share: whether it was taken from a node that stopped renewing (rather than given back), so its containers are listed soon.</summary>
    private readonly bool[] _orphaned = new bool[ShareDecisions.Buckets];

    private bool _seeded;

    private int _changes;

    /// <summary>
    /// Counts the times this node took, lost or gave back a share, so the poller revisits which containers are its own
    /// only when that changed (a lease that simply ran out is caught by its periodic check).
    /// </summary>
    public int Changes => Volatile.Read(ref _changes);

    /// <summary>Live nodes at the latest heartbeat, this one included (tests, logs).</summary>
    public int LiveNodes { get; private set; }

    /// <summary>The shares this node may list now.</summary>
    public int Held
    {
        get
        {
            var now = Stopwatch.GetTimestamp();
            var held = 0;
            for (var b = 0; b < _validUntil.Length; b++)
                if (now < Volatile.Read(ref _validUntil[b]))
                    held++;
            return held;
        }
    }

    /// <summary>Whether this node may list the container of <paramref name="tid"/> now.</summary>
    public bool Owns(Guid tid) => Stopwatch.GetTimestamp() < Volatile.Read(ref _validUntil[ShareDecisions.Bucket(tid)]);

    /// <summary>Whether the share of <paramref name="tid"/> was taken over from a node that died (its containers may have had uploads in progress).</summary>
    public bool TakenFromDeadNode(Guid tid) => Volatile.Read(ref _orphaned[ShareDecisions.Bucket(tid)]);

    /// <summary>
    /// Starts one listing of <paramref name="tid"/>'s container, or null if this node does not hold its share. The
    /// listing's token is cancelled when the lease runs out, so a listing never outlives the fence.
    /// </summary>
    public Listing? BeginListing(Guid tid, CancellationToken ct)
    {
        var bucket = ShareDecisions.Bucket(tid);
        // Counted before the check: a release that saw no listing in progress has already closed the fence.
        Interlocked.Increment(ref _listing[bucket]);
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Volatile.Read(ref _validUntil[bucket]));
        if (remaining <= TimeSpan.Zero)
        {
            Interlocked.Decrement(ref _listing[bucket]);
            return null;
        }
        return new Listing(this, bucket, remaining, ct);
    }

    /// <summary>One listing under a lease; dispose it when the listing has ended.</summary>
    public sealed class Listing : IDisposable
    {
        private readonly PollShares _shares;
        private readonly int _bucket;
        private readonly CancellationTokenSource _fence;

        internal Listing(PollShares shares, int bucket, TimeSpan remaining, CancellationToken ct)
        {
            _shares = shares;
            _bucket = bucket;
            _fence = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _fence.CancelAfter(remaining);
        }

        /// <summary>Cancelled at shutdown or when the lease runs out.</summary>
        public CancellationToken Token => _fence.Token;

        public void Dispose()
        {
            _fence.Dispose();
            Interlocked.Decrement(ref _shares._listing[_bucket]);
        }
    }

    /// <summary>The lease table, created and migrated with the event store (so <c>Inlet.Host resources setup</c> applies it ahead of time).</summary>
    public static IEnumerable<ISchemaObject> SchemaObjects()
    {
        var shares = new Table(new PostgresqlObjectName(IngestionModule.Schema, "poll_shares", SchemaUtils.IdentifierUsage.General));
        shares.AddColumn("bucket", "integer").AsPrimaryKey();
        shares.AddColumn("owner", "uuid");
        shares.AddColumn("expires_at", "timestamptz").NotNull().DefaultValueByExpression("'-infinity'");
        yield return shares;

        var nodes = new Table(new PostgresqlObjectName(IngestionModule.Schema, "poll_nodes", SchemaUtils.IdentifierUsage.General));
        nodes.AddColumn("node", "uuid").AsPrimaryKey();
        nodes.AddColumn("name", "text").NotNull();           // host:pid, for operators and tests
        nodes.AddColumn("seen_at", "timestamptz").NotNull(); // the database's clock at its latest heartbeat
        yield return nodes;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Beat(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Leases held run out by themselves (the local deadlines need no database); try again next beat.
                logger.LogWarning(e, "Renewing this node's container shares failed; retrying");
            }
            try { await Task.Delay(ShareDecisions.Heartbeat, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One heartbeat: say this node is alive, renew what it holds, then take or give back to reach its fair share.</summary>
    private async Task Beat(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (!_seeded)
        {
            await Execute(connection, $"insert into {SharesTable} (bucket) select generate_series(0, {ShareDecisions.Buckets - 1}) on conflict do nothing", ct);
            _seeded = true;
        }
        var lease = ShareDecisions.Lease;
        await Execute(connection, $"insert into {NodesTable} (node, name, seen_at) values (@me, @name, now()) " +
            "on conflict (node) do update set seen_at = now(), name = excluded.name", ct,
            ("me", NodeId), ("name", $"{Environment.MachineName}:{Environment.ProcessId}"));
        // Rows of nodes gone for a day are only clutter; liveness is decided by seen_at below.
        await Execute(connection, $"delete from {NodesTable} where seen_at < now() - interval '1 day'", ct);
        await using (var count = new NpgsqlCommand($"select count(*) from {NodesTable} where seen_at > now() - @lease", connection))
        {
            count.Parameters.AddWithValue("lease", lease);
            LiveNodes = (int)(long)(await count.ExecuteScalarAsync(ct))!;
        }

        // Renewed only while not yet expired: an expired lease may already be another node's.
        var sentAt = Stopwatch.GetTimestamp();
        var renewed = await Buckets(connection, $"update {SharesTable} set expires_at = now() + @lease where owner = @me and expires_at > now() returning bucket, false", ct, ("me", NodeId), ("lease", lease));
        var held = new HashSet<int>(renewed.Select(r => r.Bucket));
        var until = sentAt + (long)(ShareDecisions.ValidUntil(TimeSpan.Zero).TotalSeconds * Stopwatch.Frequency);
        for (var b = 0; b < ShareDecisions.Buckets; b++)
            if (!held.Contains(b))
            {
                if (Interlocked.Exchange(ref _validUntil[b], 0) != 0)
                    Interlocked.Increment(ref _changes); // lost (it ran out before this renewal): stop at once
            }
            else
                Volatile.Write(ref _validUntil[b], until);

        var plan = ShareDecisions.Plan(held.Count, LiveNodes);
        var taken = new List<(int Bucket, bool Orphaned)>();
        if (plan.Take > 0)
        {
            sentAt = Stopwatch.GetTimestamp();
            // Free ones (given back) and expired ones (their node stopped renewing); skip locked, so two nodes
            // taking at once take different shares.
            taken = await Buckets(connection,
                $"with free as (select bucket, owner is not null as orphaned from {SharesTable} where owner is null or expires_at <= now() " +
                "order by random() limit @take for update skip locked) " +
                $"update {SharesTable} s set owner = @me, expires_at = now() + @lease from free where s.bucket = free.bucket returning s.bucket, free.orphaned", ct,
                ("me", NodeId), ("lease", lease), ("take", plan.Take));
            until = sentAt + (long)(ShareDecisions.ValidUntil(TimeSpan.Zero).TotalSeconds * Stopwatch.Frequency);
            foreach (var (bucket, orphaned) in taken)
            {
                Volatile.Write(ref _orphaned[bucket], orphaned);
                Volatile.Write(ref _validUntil[bucket], until);
            }
            if (taken.Count > 0)
                Interlocked.Increment(ref _changes);
        }
        var released = plan.Release > 0 ? held.OrderDescending().Take(plan.Release).ToArray() : [];
        if (released.Length > 0)
            await GiveBack(connection, released, ct);
        if ((taken.Count > 0 || released.Length > 0) && logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("Container shares: took {Taken} ({Orphaned} from a node that stopped answering), gave back {Released}; holding {Held} of {Buckets} among {Nodes} live nodes",
                taken.Count, taken.Count(t => t.Orphaned), released.Length, held.Count + taken.Count - released.Length, ShareDecisions.Buckets, LiveNodes);
    }

    /// <summary>Stops listing the shares, waits for this node's listings of them to end, then frees them for others: the handover's fence.</summary>
    private async Task GiveBack(NpgsqlConnection connection, int[] buckets, CancellationToken ct)
    {
        foreach (var b in buckets)
            Volatile.Write(ref _validUntil[b], 0);
        Interlocked.Increment(ref _changes);
        var waited = Stopwatch.StartNew();
        while (buckets.Any(b => Volatile.Read(ref _listing[b]) > 0) && waited.Elapsed < ShareDecisions.Lease)
            await Task.Delay(20, CancellationToken.None);
        if (buckets.Any(b => Volatile.Read(ref _listing[b]) > 0))
            return; // a listing that hangs keeps the share until its lease runs out (the listing is cancelled then)
        await Execute(connection, $"update {SharesTable} set owner = null, expires_at = '-infinity' where owner = @me and bucket = any(@buckets)", ct,
            ("me", NodeId), ("buckets", buckets));
    }

    /// <summary>On shutdown (after the poller has stopped), every share goes back at once, so the other nodes need not wait for the leases to run out.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await GiveBack(connection, Enumerable.Range(0, ShareDecisions.Buckets).ToArray(), cancellationToken);
            await Execute(connection, $"delete from {NodesTable} where node = @me", cancellationToken, ("me", NodeId));
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // The leases run out by themselves. (ObjectDisposedException: the host's data source went first, as a test
            // fixture's teardown can do; seen in AuditTests and UploadTokenLifecycleTests' cleanup.)
            logger.LogWarning(e, "Giving back this node's container shares on shutdown failed; they are free when their leases run out");
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<(int Bucket, bool Orphaned)>> Buckets(NpgsqlConnection connection, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        var rows = new List<(int, bool)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add((reader.GetInt32(0), reader.GetBoolean(1)));
        return rows;
    }
}
