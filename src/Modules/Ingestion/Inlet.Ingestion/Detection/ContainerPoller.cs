using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs.Models;
using Inlet.BuildingBlocks.Storage;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Inlet.Ingestion.Detection;

/// <summary>
/// Lists token containers for committed blobs. Adaptive: a container is listed again after a tenth of the
/// time since its last activity (or its token's issue), between MinPollInterval and MaxPollInterval, so thousands
/// of idle tokens cost little while an active upload is seen within about a second; and capped at
/// MaxListsPerSecond listings across the nodes (docs/adr/0022-detection-at-scale.md). The token catalogue is kept current
/// incrementally (<see cref="TokenCatalogue"/>). Each container is listed by the one node holding its share
/// (<see cref="PollShares"/>, docs/adr/0025-one-poller-per-container.md), and only while the lease lasts; routing does
/// not depend on it (IngestBlob is exactly-once by construction), so a handover can never route a file twice.
/// </summary>
public sealed class ContainerPoller(
    IServiceProvider services,
    IDocumentStore store,
    PollShares shares,
    StorageAccounts accounts,
    TimeProvider clock,
    IOptions<IngestionOptions> options,
    InletMetrics metrics,
    RoutingLanes lanes,
    ILogger<ContainerPoller> logger) : BackgroundService
{
    private static readonly TimeSpan CatalogueRefresh = TimeSpan.FromSeconds(2);

    /// <summary>How often which containers are this node's is checked again when neither the catalogue nor the shares changed (a lease that ran out).</summary>
    private static readonly TimeSpan OwnershipCheck = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Within how long the containers of a share taken from a dead node are first listed (at most their own interval):
    /// it may have been routing uploads to them, and its schedule died with it.
    /// </summary>
    public static readonly TimeSpan TakeoverSpread = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<Guid, PollState> _state = new();

    // One lean look per account (each signs its listing SAS with its own key): the landing account, and the workspace
    // account for tokens issued before it (docs/adr/0030).
    private readonly ConcurrentDictionary<StorageAccount, AccountLook> _looks = new();

    private sealed record AccountLook(ContainerProbe Probe, ContainerListing Listing);

    private AccountLook Look(StorageAccount account) =>
        _looks.GetOrAdd(account, a => { var probe = new ContainerProbe(a); return new AccountLook(probe, new ContainerListing(probe, a)); });

    // The loop's own: every tracked container by its next listing time, and those due but not yet listed (the
    // budget left them over). Each round looks only at what came due, not at every container: at 10,000 tokens the
    // full scan every 200 ms was most of an idle node's CPU (session 11 profile, docs/performance.md).
    private readonly PriorityQueue<Guid, DateTimeOffset> _schedule = new();
    private readonly Dictionary<Guid, PollState> _due = new();
    private readonly TokenCatalogue _catalogue = new(store);
    private long _listings;

    // Blob versions being routed right now, so that a listing neither waits for them nor starts them twice:
    // a 200 MiB file still copying must not hold back the small files committed after it.
    private readonly ConcurrentDictionary<string, Guid> _inFlight = new();

    /// <summary>Container listing calls this node has made since it started, lean looks and full listings alike (bench and tests).</summary>
    public long Listings => Interlocked.Read(ref _listings);

    /// <summary>The tokens this node watches (tests).</summary>
    public IReadOnlyCollection<TokenContainer> Catalogue => _catalogue.Tokens;

    /// <summary>Documents read by the latest catalogue refresh (tests: an unchanged catalogue reads none).</summary>
    public int LastCatalogueRead => _catalogue.LastRead;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tokens = new Dictionary<Guid, TokenContainer>();
        var refreshedAt = DateTimeOffset.MinValue;
        var checkedAt = DateTimeOffset.MinValue;
        var catalogueSeen = -1;
        var nextStart = DateTimeOffset.MaxValue; // the earliest start of a token issued to start later: tracked from then
        var sharesSeen = -1;
        var budgetAt = clock.GetUtcNow();
        double allowance = 0;
        var warned = false;
        var reportedAt = DateTimeOffset.MinValue;
        if (options.Value is { PushDetection: true, PushDetectionOn: false })
            logger.LogWarning("Ingestion:PushDetection is on but no Ingestion:EventGridKey is configured: Event Grid deliveries are refused, and token containers are polled as without push detection.");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var o = options.Value;
                var now = clock.GetUtcNow();
                var revisit = false;
                if (now - refreshedAt >= CatalogueRefresh)
                {
                    foreach (var id in await _catalogue.Refresh(now, stoppingToken))
                        _state.TryRemove(id, out _);
                    refreshedAt = now;
                    if (_catalogue.Version != catalogueSeen || now - checkedAt >= OwnershipCheck || now >= nextStart)
                    {
                        revisit = true;
                        catalogueSeen = _catalogue.Version;
                        checkedAt = now;
                        tokens = _catalogue.Tokens.ToDictionary(t => t.Id);
                    }
                    metrics.SetActiveTokens(tokens.Values.Count(t => t.ClosedAt is null && t.ActivatedAt <= now && now < t.ValidTo));
                    var overBudget = o.MaxListsPerSecond > 0 && tokens.Count > o.MaxListsPerSecond * Longest.TotalSeconds;
                    if (overBudget && !warned)
                        logger.LogWarning("{Tokens} token containers cannot each be listed every {Max} within {Budget} listings per second; "
                            + "idle ones are listed less often. Raise Ingestion:MaxListsPerSecond or Ingestion:MaxPollInterval, or configure Event Grid.",
                            tokens.Count, o.MaxPollInterval, o.MaxListsPerSecond);
                    warned = overBudget;
                }

                // Only the containers of the shares this node holds; a share lost or given back takes its schedule with
                // it. Revisited when the catalogue or the shares changed, and every OwnershipCheck for a lease that ran out.
                if (revisit || shares.Changes != sharesSeen)
                {
                    sharesSeen = shares.Changes;
                    foreach (var (id, _) in _state)
                        if (!shares.Owns(id) || !tokens.ContainsKey(id))
                            _state.TryRemove(id, out _);
                    nextStart = DateTimeOffset.MaxValue;
                    foreach (var token in tokens.Values)
                    {
                        Track(token, now);
                        if (now < token.ActivatedAt && token.ClosedAt is null && token.ActivatedAt < nextStart)
                            nextStart = token.ActivatedAt;
                    }
                    foreach (var (id, waiting) in _due) // Dictionary allows Remove while enumerating
                        if (!_state.TryGetValue(id, out var current) || current != waiting)
                            _due.Remove(id);
                }
                while (_schedule.TryPeek(out var next, out var at) && at <= now)
                {
                    _schedule.Dequeue();
                    // Entries left behind by a relisting or a dropped container are skipped.
                    if (_state.TryGetValue(next, out var state) && state.NextPoll == at)
                        _due[next] = state;
                }
                if (now - reportedAt >= TimeSpan.FromSeconds(5) && logger.IsEnabled(LogLevel.Information))
                {
                    // The bench reads this line for list_calls_per_s (an Information line, off by default).
                    logger.LogInformation("Container listings so far: {Listings}", Listings);
                    reportedAt = now;
                }

                int budget;
                var rate = ShareDecisions.Budget(o.MaxListsPerSecond, shares.Held);
                if (double.IsPositiveInfinity(rate))
                    budget = int.MaxValue;
                else
                {
                    // A token bucket holding at most one second's worth (at least one listing), so a quiet spell does not buy a burst.
                    allowance = Math.Min(Math.Max(1, rate), allowance + (now - budgetAt).TotalSeconds * rate);
                    budget = (int)allowance;
                }
                budgetAt = now;
                var due = PollSchedule.Pick(_due, now, budget, Longest)
                    .Select(id => tokens[id]).ToList();
                if (o.MaxListsPerSecond > 0)
                    allowance -= due.Count;
                try
                {
                    await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = stoppingToken },
                        async (token, ct) => await Poll(token, ct));
                }
                finally
                {
                    // Back in the schedule at their next time (set by the listing, or unchanged if it did not happen).
                    foreach (var token in due)
                        if (_due.Remove(token.Id, out var state) && _state.TryGetValue(token.Id, out var current) && current == state)
                            _schedule.Enqueue(token.Id, current.NextPoll);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Polling token containers failed; retrying");
                await Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
            await Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { }
    }

    /// <summary>A container's next interval: adaptive when polling drives detection, the safety net when events do.</summary>
    private TimeSpan NextInterval(DateTimeOffset now, DateTimeOffset lastActivity, bool closed)
    {
        var o = options.Value;
        if (o.PushDetectionOn && !closed)
            return PollSchedule.SafetyNet(o.SafetyNetPollInterval, Random.Shared);
        return PollSchedule.Interval(now, lastActivity, closed, o.MinPollInterval, o.MaxPollInterval);
    }

    /// <summary>Longest a container should wait between listings: what the budget treats as starving.</summary>
    private TimeSpan Longest => options.Value.PushDetectionOn
        ? options.Value.SafetyNetPollInterval * 1.1
        : options.Value.MaxPollInterval;

    /// <summary>Starts the schedule of a token this node has not seen yet (or one that started later than issued).</summary>
    private void Track(TokenContainer token, DateTimeOffset now)
    {
        if (now < token.ActivatedAt && token.ClosedAt is null)
            return; // a token that starts later cannot have delivered anything yet (storage refuses it)
        if (_state.ContainsKey(token.Id) || !shares.Owns(token.Id))
            return;
        var o = options.Value;
        var interval = NextInterval(now, token.ActivatedAt, token.ClosedAt is not null);
        if (shares.TakenFromDeadNode(token.Id) && interval > TakeoverSpread)
            interval = TakeoverSpread;
        var state = new PollState
        {
            LastActivity = token.ActivatedAt,
            LastListed = now,
            NextPoll = PollSchedule.FirstPoll(now, interval, o.MinPollInterval, Random.Shared),
        };
        if (_state.TryAdd(token.Id, state))
            _schedule.Enqueue(token.Id, state.NextPoll);
    }

    private async Task Poll(TokenContainer token, CancellationToken stoppingToken)
    {
        // The fence: listed only under this node's lease, and the listing ends when the lease does.
        using var lease = shares.BeginListing(token.Id, stoppingToken);
        if (lease is null || !_state.TryGetValue(token.Id, out var state))
            return;
        try
        {
            await Poll(token, state, lease.Token, stoppingToken);
        }
        catch (OperationCanceledException) when (lease.Token.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            // The lease ran out mid-listing: the share is someone else's now, and so is this container.
        }
    }

    /// <param name="ct">The listing's: cancelled when the lease runs out.</param>
    /// <param name="stoppingToken">The node's: routing a blob found may outlive the lease (a new owner finding it again converges on the same upload).</param>
    private async Task Poll(TokenContainer token, PollState state, CancellationToken ct, CancellationToken stoppingToken)
    {
        var account = accounts.Holding(token.Account);
        var container = account.Container(token.Container);
        var found = new List<IngestBlob>();
        var listedAt = DateTimeOffset.UtcNow; // a span's start: wall-clock time, not the (testable) TimeProvider
        try
        {
            // An idle container is nearly always empty: a lean look says so at a third of the SDK listing's CPU. One that
            // had blobs at its last listing is likely to have them still (an upload in progress), so it is listed at once.
            var holdsBlobs = true;
            if (!state.HadBlobs)
            {
                Interlocked.Increment(ref _listings);
                holdsBlobs = await Look(account).Probe.HoldsBlobs(token.Container, ct);
            }
            if (holdsBlobs)
            {
                // Not the SDK's listing: one blob whose name XML cannot hold made it fail for the whole container (issue #32).
                var listed = await Look(account).Listing.List(token.Container, ct);
                Interlocked.Add(ref _listings, listed.Calls);
                foreach (var item in listed.Blobs)
                    found.Add(new IngestBlob(token.Id, token.Container, item.Name, item.ETag, item.Size, IngestBlob.Md5Text(item.ContentHash), item.LastModified, token.Account));
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            await MarkDeleted(token, ct);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One unreadable container must not hold up the others; it is tried again later.
            logger.LogWarning(e, "Listing the container of token {Tid} failed", token.Id);
            state.LastListed = clock.GetUtcNow();
            state.NextPoll = state.LastListed + options.Value.MaxPollInterval;
            return;
        }

        var now = clock.GetUtcNow();
        state.HadBlobs = found.Count > 0;
        if (found.Count > 0)
        {
            state.LastActivity = now;
            foreach (var blob in found)
            {
                var key = $"{blob.Container}/{blob.BlobName}\n{blob.ETag}";
                if (_inFlight.TryAdd(key, token.Id))
                    _ = Route(blob, key, listedAt, stoppingToken);
            }
        }
        else if (token.ClosedAt is { } closedAt && now - closedAt >= options.Value.FinalSweepGrace && !_inFlight.Values.Contains(token.Id))
        {
            // Final sweep done: nothing is left and nothing more can arrive.
            await container.DeleteIfExistsAsync(cancellationToken: ct);
            await MarkDeleted(token, ct);
            return;
        }

        state.LastListed = now;
        state.NextPoll = now + NextInterval(now, state.LastActivity, token.ClosedAt is not null);
    }

    /// <summary>
    /// Routes one blob version in the background, in a slot of its size lane on this node (<see cref="RoutingLanes"/>).
    /// Its trace starts here: from the listing that found the blob to the end of its routing (docs/adr/0013).
    /// </summary>
    private async Task Route(IngestBlob blob, string key, DateTimeOffset listedAt, CancellationToken ct)
    {
        using var detect = InletTelemetry.StartRoot("ingest.detect", listedAt);
        detect?.SetTag(InletTelemetry.DetectedBy, "poll")
            .SetTag(InletTelemetry.TokenId, blob.Tid)
            .SetTag(InletTelemetry.Container, blob.Container)
            .SetTag(InletTelemetry.BlobName, blob.BlobName)
            .SetTag(InletTelemetry.BlobSize, blob.Size);
        try
        {
            using (await lanes.Enter(blob, ct))
            {
                await using var scope = services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(blob, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the blob stays where it is and is routed after the restart.
        }
        catch (Exception e)
        {
            // Left in place: the next listing finds it again and routing resumes where it stopped.
            detect.Failed(e);
            logger.LogWarning(e, "Routing a blob of token {Tid} failed; it will be retried", blob.Tid);
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    private async Task MarkDeleted(TokenContainer token, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var current = await session.LoadAsync<TokenContainer>(token.Id, ct);
        if (current is not null && current.DeletedAt is null)
        {
            current.DeletedAt = clock.GetUtcNow();
            session.Store(current);
            await session.SaveChangesAsync(ct);
        }
        _state.TryRemove(token.Id, out _);
    }
}
