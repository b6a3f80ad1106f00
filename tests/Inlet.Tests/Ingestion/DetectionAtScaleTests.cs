using Azure.Storage.Blobs.Specialized;
using Inlet.BuildingBlocks.Storage;
using Inlet.Ingestion.Detection;
using Inlet.Ingestion.TokenContainers;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Inlet.Tests.Ingestion;

/// <summary>The listing schedule (docs/adr/0022-detection-at-scale.md): pure, no services.</summary>
public sealed class PollScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Min = TimeSpan.FromSeconds(1), Max = TimeSpan.FromSeconds(60);

    private static KeyValuePair<Guid, PollState> State(TimeSpan sinceListed, TimeSpan interval) =>
        new(Guid.NewGuid(), new PollState { LastListed = Now - sinceListed, NextPoll = Now - sinceListed + interval });

    [Fact]
    public void Young_tokens_and_recent_activity_are_listed_often_and_long_idle_ones_at_most_every_MaxPollInterval()
    {
        Assert.Equal(Min, PollSchedule.Interval(Now, Now - TimeSpan.FromSeconds(3), false, Min, Max));
        Assert.Equal(TimeSpan.FromSeconds(30), PollSchedule.Interval(Now, Now - TimeSpan.FromMinutes(5), false, Min, Max));
        Assert.Equal(Max, PollSchedule.Interval(Now, Now - TimeSpan.FromDays(20), false, Min, Max));
        Assert.Equal(Min, PollSchedule.Interval(Now, Now - TimeSpan.FromDays(20), true, Min, Max)); // closing: final sweep
    }

    [Fact]
    public void Within_the_budget_a_busy_container_beats_an_idle_one_equally_late_and_nothing_not_due_is_listed()
    {
        var busy = State(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)); // 1 s late on a 1 s interval
        var idle = State(TimeSpan.FromSeconds(31), TimeSpan.FromSeconds(30)); // 1 s late on a 30 s interval
        var notDue = State(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.Equal([busy.Key], PollSchedule.Pick([idle, notDue, busy], Now, 1, Max));
        Assert.Equal([busy.Key, idle.Key], PollSchedule.Pick([idle, notDue, busy], Now, 10, Max));
        Assert.Empty(PollSchedule.Pick([idle, busy], Now, 0, Max));
    }

    [Fact]
    public void A_container_not_listed_for_MaxPollInterval_goes_before_busier_ones()
    {
        var busy = Enumerable.Range(0, 20).Select(_ => State(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1))).ToList();
        var starving = State(Max + TimeSpan.FromSeconds(1), Max);
        var picked = PollSchedule.Pick([.. busy, starving], Now, 5, Max);
        Assert.Equal(5, picked.Count);
        Assert.Equal(starving.Key, picked[0]);
    }

    [Fact]
    public void An_over_full_schedule_still_lists_active_containers_with_half_the_budget()
    {
        var busy = Enumerable.Range(0, 20).Select(_ => State(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1))).ToList();
        var starving = Enumerable.Range(0, 1000).Select(i => State(Max + TimeSpan.FromSeconds(i), Max)).ToList();
        var picked = PollSchedule.Pick([.. starving, .. busy], Now, 10, Max);
        Assert.Equal(10, picked.Count);
        Assert.Equal(5, picked.Intersect(busy.Select(b => b.Key)).Count());
        Assert.Equal(starving[^1].Key, picked[0]); // the longest waiting first
        // Nothing else due: the whole budget goes to the starving ones.
        Assert.Equal(10, PollSchedule.Pick(starving, Now, 10, Max).Count);
    }

    [Fact]
    public void Old_tokens_first_seen_are_spread_over_their_interval_and_young_ones_listed_at_once()
    {
        var random = new Random(1);
        Assert.Equal(Now, PollSchedule.FirstPoll(Now, Min, Min, random));
        var firsts = Enumerable.Range(0, 1000).Select(_ => PollSchedule.FirstPoll(Now, Max, Min, random)).ToList();
        Assert.All(firsts, f => Assert.InRange(f, Now, Now + Max));
        // No burst: no tenth of the interval holds more than twice its share.
        Assert.All(firsts.GroupBy(f => (int)((f - Now).Ticks * 10 / Max.Ticks)), g => Assert.True(g.Count() < 200, $"{g.Count()} in bucket {g.Key}"));
    }
}

/// <summary>The catalogue learns of changes without re-reading every token, and on every node.</summary>
public sealed class TokenCatalogueTests(InletApp app) : IClassFixture<InletApp>
{
    private IDocumentStore Store => app.Host.Services.GetRequiredService<IDocumentStore>();

    private async Task Save(params TokenContainer[] tokens)
    {
        await using var session = Store.LightweightSession();
        session.Store(tokens);
        await session.SaveChangesAsync();
    }

    private static TokenContainer Token() => new()
    {
        Id = Guid.NewGuid(), Wsid = "ws", Container = $"c-{Guid.NewGuid():N}",
        ActivatedAt = DateTimeOffset.UtcNow.AddDays(-10), ValidTo = DateTimeOffset.UtcNow.AddDays(10),
    };

    [Fact]
    public async Task A_refresh_reads_only_what_changed_since_the_last_one_and_applies_new_closed_and_deleted_tokens()
    {
        var old = Enumerable.Range(0, 30).Select(_ => Token()).ToArray();
        await Save(old);
        // As another node's handler would have written them: straight into the shared table.
        var catalogue = new TokenCatalogue(Store, overlap: TimeSpan.Zero);
        await catalogue.Refresh(DateTimeOffset.UtcNow, default);
        Assert.Superset(old.Select(t => t.Id).ToHashSet(), catalogue.Tokens.Select(t => t.Id).ToHashSet());
        var full = catalogue.LastRead;
        Assert.True(full >= 30);

        var version = catalogue.Version;
        await catalogue.Refresh(DateTimeOffset.UtcNow, default);
        Assert.True(catalogue.LastRead < full, $"an unchanged catalogue re-read {catalogue.LastRead} of {full} documents");
        if (catalogue.LastRead == 0)
            Assert.Equal(version, catalogue.Version); // nothing read, nothing for the poller to rebuild

        var fresh = Token();
        await Save(fresh);
        var closed = old[0];
        closed.ClosedAt = DateTimeOffset.UtcNow;
        var deleted = old[1];
        deleted.DeletedAt = DateTimeOffset.UtcNow;
        await Save(closed, deleted);

        version = catalogue.Version;
        var dropped = await catalogue.Refresh(DateTimeOffset.UtcNow, default);
        Assert.True(catalogue.Version > version, "a refresh that applied changes moves the version");
        Assert.True(catalogue.LastRead <= 3 + (full - 30), $"read {catalogue.LastRead}");
        Assert.Contains(catalogue.Tokens, t => t.Id == fresh.Id);
        Assert.NotNull(catalogue.Tokens.Single(t => t.Id == closed.Id).ClosedAt);
        Assert.DoesNotContain(catalogue.Tokens, t => t.Id == deleted.Id);
        Assert.Contains(deleted.Id, dropped);
    }

    [Fact]
    public async Task A_burst_of_changes_is_read_again_only_within_the_overlap_even_when_nothing_changes_after_it()
    {
        // One statement changing many tokens at once (a bulk update, a restore), then quiet: the bounds must move on
        // with time, not stop at the burst's own timestamps, or every refresh reads the whole burst again.
        var overlap = TimeSpan.FromSeconds(1);
        var burst = Enumerable.Range(0, 30).Select(_ => Token()).ToArray();
        // Their containers exist: this fixture's own poller lists new tokens at once and marks a token whose container
        // is missing deleted, a real change that would be read again inside the window (seen in the scan branch's runs).
        var storage = new Azure.Storage.Blobs.BlobServiceClient(TestServices.Storage);
        await Task.WhenAll(burst.Select(t => storage.GetBlobContainerClient(t.Container).CreateAsync()));
        await Save(burst);
        var catalogue = new TokenCatalogue(Store, overlap);
        await catalogue.Refresh(DateTimeOffset.UtcNow, default);
        Assert.Superset(burst.Select(t => t.Id).ToHashSet(), catalogue.LastReadIds.ToHashSet());

        await Task.Delay(overlap * 1.5);
        await catalogue.Refresh(DateTimeOffset.UtcNow, default); // may still reach back into the burst
        await catalogue.Refresh(DateTimeOffset.UtcNow, default);
        var readAgain = burst.Count(t => catalogue.LastReadIds.Contains(t.Id));
        Assert.True(readAgain == 0, $"{readAgain} of the burst's {burst.Length} tokens were read again {overlap * 1.5} after it");
        Assert.Superset(burst.Select(t => t.Id).ToHashSet(), catalogue.Tokens.Select(t => t.Id).ToHashSet());
    }

    [Fact]
    public async Task A_token_issued_and_revoked_through_one_node_reaches_the_poller_of_another()
    {
        await using var second = await app.StartHost();
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var tid = Guid.Parse(issued.Str("tid"));
        // Whichever node handles UploadTokenActivated, both pollers must watch the container.
        var pollers = new[] { app.Host.Services, second.Services }
            .Select(s => s.GetRequiredService<ContainerPoller>()).ToList();
        await TokenApi.Eventually(() => Task.FromResult(pollers.All(p => p.Catalogue.Any(t => t.Id == tid))), 15, "both nodes watch the new token");

        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}")).StatusCode);
        await TokenApi.Eventually(() => Task.FromResult(pollers.All(p => p.Catalogue.Any(t => t.Id == tid && t.ClosedAt is not null)
            || p.Catalogue.All(t => t.Id != tid))), 15, "both nodes see the token closed (or already swept)");
    }
}

/// <summary>The lean look detection takes into an idle container before it lists it (docs/adr/0022, 2026-12-04 revision), against Azurite.</summary>
public sealed class ContainerProbeTests
{
    private static readonly StorageAccount Account = new(TestServices.Storage);

    [Fact]
    public async Task It_tells_an_empty_container_from_one_with_a_committed_blob_ignores_uncommitted_blocks_and_sees_a_missing_one()
    {
        var probe = new ContainerProbe(Account);
        var container = Account.Container($"probe-{Guid.NewGuid():N}");
        // Missing: 404, as the SDK's listing answers it, so the poller marks the token's container deleted either way.
        Assert.Equal(404, (await Assert.ThrowsAsync<Azure.RequestFailedException>(() => probe.HoldsBlobs(container.Name, default))).Status);

        await container.CreateAsync();
        Assert.False(await probe.HoldsBlobs(container.Name, default));

        // A block staged but not committed (an AzCopy upload in progress) is not a file yet, as for the SDK's listing.
        var staged = container.GetBlockBlobClient("in-progress.bin");
        await staged.StageBlockAsync(Convert.ToBase64String(new byte[16]), new MemoryStream(new byte[1024]));
        Assert.False(await probe.HoldsBlobs(container.Name, default));

        await container.GetBlobClient("a/b c+d%.txt").UploadAsync(BinaryData.FromString("x"));
        Assert.True(await probe.HoldsBlobs(container.Name, default));
        await container.GetBlobClient("second.txt").UploadAsync(BinaryData.FromString("y"));
        Assert.True(await probe.HoldsBlobs(container.Name, default));

        await container.DeleteAsync();
        Assert.Equal(404, (await Assert.ThrowsAsync<Azure.RequestFailedException>(() => probe.HoldsBlobs(container.Name, default))).Status);
    }

    [Fact]
    public async Task A_refused_look_names_the_container_and_status_but_never_the_signature()
    {
        // A wrong key: storage refuses the SAS (403). The error must not carry the address, which holds the signature.
        var wrong = new StorageAccount(System.Text.RegularExpressions.Regex.Replace(TestServices.Storage, "AccountKey=[^;]*", "AccountKey=" + Convert.ToBase64String(new byte[64])));
        var container = Account.Container($"probe-{Guid.NewGuid():N}");
        await container.CreateAsync();
        var e = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => new ContainerProbe(wrong).HoldsBlobs(container.Name, default));
        Assert.Equal(403, e.Status);
        Assert.Contains(container.Name, e.Message);
        Assert.DoesNotContain("sig=", e.ToString());
        await container.DeleteAsync();
    }
}
