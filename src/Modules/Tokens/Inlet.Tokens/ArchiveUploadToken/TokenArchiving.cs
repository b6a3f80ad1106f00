using Inlet.Tokens.ListUploadTokens;
using Inlet.BuildingBlocks.Concurrency;
using Inlet.BuildingBlocks.Hosting;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Inlet.Tokens.ArchiveUploadToken;

/// <summary>Configuration section <c>Tokens:Retention</c> (docs/adr/0014-retention.md).</summary>
public sealed class TokenRetentionOptions
{
    /// <summary>How long after a token closed (expired or revoked) its event stream is archived. Zero never archives.</summary>
    public TimeSpan ArchiveClosedAfter { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often each node looks for tokens due; archiving is idempotent, so nodes may overlap.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>The token's events moved out of the live event store; the token stays listed and its audit trail readable.</summary>
public sealed record UploadTokenArchived(Guid Tid, DateTimeOffset ClosedAt, DateTimeOffset At);

/// <summary>
/// Archives the event streams of tokens closed longer than Tokens:Retention:ArchiveClosedAfter, so the live
/// event store holds only what is still in use. Every node runs it every SweepInterval from what the store
/// says is due, so it survives restarts and a changed setting applies to tokens closed before; the archive
/// event is appended at the stream's expected version, so two nodes record it once.
/// </summary>
public sealed class TokenArchiving(
    IDocumentStore store,
    TimeProvider clock,
    IOptions<TokenRetentionOptions> options,
    ILogger<TokenArchiving> logger) : PeriodicSweep(logger)
{
    public const int BatchSize = 500;

    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override async Task<string?> Pass(CancellationToken ct) =>
        await RunOnce(ct) is var archived and > 0 ? $"archived the event streams of {archived} closed upload tokens" : null;

    /// <summary>One pass: archives up to <see cref="BatchSize"/> tokens that are due; returns how many this call archived.</summary>
    public async Task<int> RunOnce(CancellationToken ct)
    {
        var age = options.Value.ArchiveClosedAfter;
        if (age <= TimeSpan.Zero)
            return 0;
        var cutoff = clock.GetUtcNow() - age;
        List<Guid> due;
        await using (var query = store.QuerySession())
            due = (await query.Query<UploadTokenSummary>()
                .Where(t => t.ArchivedAt == null && ((t.RevokedAt != null && t.RevokedAt <= cutoff) || (t.ExpiredAt != null && t.ExpiredAt <= cutoff)))
                .Select(t => t.Id).Take(BatchSize).ToListAsync(ct)).ToList();
        var archived = 0;
        foreach (var tid in due)
            if (await Archive(tid, ct))
                archived++;
        return archived;
    }

    /// <summary>Archives one token's stream if it is due. Safe to repeat, and on several nodes at once: true only for the call that did it.</summary>
    public async Task<bool> Archive(Guid tid, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForWriting<UploadToken>(tid, ct);
        if (UploadTokenDecisions.Archive(stream.Aggregate, options.Value.ArchiveClosedAfter, clock.GetUtcNow()) is not { } archived)
            return false;
        // Marten's Archived marker archives the stream in the same transaction as the append, through the
        // inline projection (session.Events.ArchiveStream runs before the appends of its session, which then fail).
        stream.AppendMany(archived, new JasperFx.Events.Archived("closed longer than Tokens:Retention:ArchiveClosedAfter"));
        try
        {
            await session.SaveChangesAsync(ct);
            return true;
        }
        catch (Exception e) when (Concurrency.IsConflict(e))
        {
            return false; // another node archived it first (a version conflict, or its append found the stream archived)
        }
    }
}
