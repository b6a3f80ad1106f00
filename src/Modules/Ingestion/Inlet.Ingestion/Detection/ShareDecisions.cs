namespace Inlet.Ingestion.Detection;

/// <summary>What one heartbeat does with this node's shares: take free ones, or give some back.</summary>
public readonly record struct SharePlan(int Take, int Release);

/// <summary>
/// The pure decisions of sharing the containers among live nodes (docs/adr/0025-one-poller-per-container.md):
/// which share a container falls in, how many shares a node should hold, how long it may act on a lease,
/// and how much of the listing budget is its own. No database, no clock: tests/Inlet.Ingestion.Tests.
/// </summary>
public static class ShareDecisions
{
    /// <summary>
    /// How many shares the containers are cut into. Many more than nodes, so that N nodes hold within one share
    /// of an equal part (256 / 10 nodes: 25 or 26 each, 4 % apart), and few enough that renewing all of them is
    /// one small statement.
    /// </summary>
    public const int Buckets = 256;

    /// <summary>How long a lease lasts without renewal: a dead node's shares are free this long after its last heartbeat.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    /// <summary>How often a node renews its leases and rebalances: five heartbeats per lease, so four may be missed (a GC pause, a slow database) before a share is lost.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How much sooner than the database a node considers its lease over. The database's expiry is its own
    /// clock's now() at renewal plus <see cref="Lease"/>; the node measures from before it sent the renewal, on
    /// its monotonic clock, minus this margin, so it stops before anyone else may start even if the two clocks
    /// run at rates 10 % apart.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The share a token's container falls in: a stable hash of the token id (FNV-1a, then MurmurHash3's finaliser,
    /// because FNV's low bits alone spread time-ordered ids unevenly), the same on every node and in every version.
    /// </summary>
    public static int Bucket(Guid tid)
    {
        Span<byte> bytes = stackalloc byte[16];
        tid.TryWriteBytes(bytes);
        var hash = 2166136261u;
        foreach (var b in bytes)
            hash = (hash ^ b) * 16777619u;
        hash ^= hash >> 16;
        hash *= 0x85ebca6bu;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35u;
        hash ^= hash >> 16;
        return (int)(hash % Buckets);
    }

    /// <summary>The most shares one of <paramref name="liveNodes"/> nodes should hold: rounded up, so that together they can hold all.</summary>
    public static int FairShare(int liveNodes) => (Buckets + Math.Max(1, liveNodes) - 1) / Math.Max(1, liveNodes);

    /// <summary>
    /// A node holding <paramref name="held"/> shares among <paramref name="liveNodes"/> live nodes (itself included)
    /// takes free ones up to its fair share, or gives back what it holds above it. It never takes beyond the fair
    /// share, so a node that joins finds shares to take once the others have given theirs back, and two nodes
    /// do not race for the same surplus.
    /// </summary>
    public static SharePlan Plan(int held, int liveNodes)
    {
        var fair = FairShare(liveNodes);
        return held < fair ? new SharePlan(fair - held, 0) : new SharePlan(0, held - fair);
    }

    /// <summary>
    /// Until when (on the node's monotonic clock) a lease renewed by a statement sent at <paramref name="sentAt"/>
    /// may be acted on: earlier than the database's expiry by at least <see cref="Margin"/>.
    /// </summary>
    public static TimeSpan ValidUntil(TimeSpan sentAt) => sentAt + Lease - Margin;

    /// <summary>
    /// This node's part of the listing budget: Ingestion:MaxListsPerSecond is what storage is asked for across the
    /// cluster, split by the shares each node holds, so two nodes list no more than one (0: no cap).
    /// </summary>
    public static double Budget(int maxListsPerSecond, int held) =>
        maxListsPerSecond <= 0 ? double.PositiveInfinity : (double)maxListsPerSecond * held / Buckets;
}
