using Inlet.BuildingBlocks.Concurrency;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Inlet.Ingestion.WorkspaceFiles;
using Inlet.Tokens.Contracts;
using Inlet.BuildingBlocks.Hosting;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Inlet.Ingestion.Retention;

/// <summary>
/// A rejected upload's kept bytes were deleted at the end of their retention. The record stays: the audit
/// trail still says what was received, why it was refused, and now when its bytes went.
/// </summary>
public sealed record RejectedUploadPurged(Guid UploadId, Guid Tid, string Location, long Size, TimeSpan KeptFor, DateTimeOffset At);

/// <summary>What one pass removed.</summary>
public sealed record RetentionSweepResult(int RejectedUploadsPurged, int TokensWithStagedFilesRemoved);

/// <summary>
/// Every node runs this every Ingestion:Retention:SweepInterval. It works from what the event store says is
/// due (rejections older than the retention, tokens swept long enough ago), so it survives restarts and
/// applies a changed retention to everything already kept. Nodes may overlap: deleting is idempotent and
/// the purge event is appended at the stream's expected version, so it is recorded once.
/// </summary>
public sealed class RetentionSweep(
    IDocumentStore store,
    WorkspaceStorage storage,
    TimeProvider clock,
    IOptions<IngestionOptions> options,
    ILogger<RetentionSweep> logger) : PeriodicSweep(logger)
{
    /// <summary>At most this many items per kind in one pass, so a pass stays short; the next pass goes on.</summary>
    public const int BatchSize = 500;

    private IngestionRetentionOptions Retention => options.Value.Retention;

    protected override TimeSpan Interval => Retention.SweepInterval;

    protected override async Task<string?> Pass(CancellationToken ct)
    {
        var result = await RunOnce(ct);
        return result.RejectedUploadsPurged + result.TokensWithStagedFilesRemoved > 0
            ? $"purged {result.RejectedUploadsPurged} rejected uploads, removed the staged files of {result.TokensWithStagedFilesRemoved} tokens"
            : null;
    }

    public async Task<RetentionSweepResult> RunOnce(CancellationToken ct)
    {
        var purged = 0;
        var tokens = 0;
        if (Retention.RejectedUploads > TimeSpan.Zero)
        {
            var cutoff = clock.GetUtcNow() - Retention.RejectedUploads;
            List<Guid> due;
            await using (var query = store.QuerySession())
                due = (await query.Query<UploadRecord>()
                    .Where(r => r.Status == UploadStatus.Rejected && r.PurgedAt == null && r.At <= cutoff)
                    .OrderBy(r => r.At).Select(r => r.Id).Take(BatchSize).ToListAsync(ct)).ToList();
            foreach (var id in due)
                if (await PurgeRejectedUpload(id, ct))
                    purged++;
        }
        if (Retention.StagedFiles > TimeSpan.Zero)
        {
            var cutoff = clock.GetUtcNow() - Retention.StagedFiles;
            List<Guid> swept;
            await using (var query = store.QuerySession())
                swept = (await query.Query<TokenContainer>()
                    .Where(t => t.DeletedAt != null && t.DeletedAt <= cutoff && t.StagedFilesRemovedAt == null)
                    .Select(t => t.Id).Take(BatchSize).ToListAsync(ct)).ToList();
            foreach (var tid in swept)
                if (await RemoveStagedFiles(tid, ct))
                    tokens++;
        }
        return new RetentionSweepResult(purged, tokens);
    }

    /// <summary>
    /// Deletes a rejected upload's kept bytes once its retention is over, then records it. Safe to repeat and to
    /// run on several nodes at once: returns true only for the call that recorded the purge.
    /// </summary>
    public async Task<bool> PurgeRejectedUpload(Guid uploadId, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForWriting<UploadRecord>(uploadId, ct);
        if (stream.Aggregate is not { Status: UploadStatus.Rejected, PurgedAt: null } record)
            return false;
        var now = clock.GetUtcNow();
        var keptFor = now - record.At;
        if (Retention.RejectedUploads <= TimeSpan.Zero || keptFor < Retention.RejectedUploads)
            return false;

        // Bytes first, record second: a crash between leaves a record still due, and the next pass finishes it.
        await storage.DeleteIfOurs(record.Wsid, record.Location, record.Id, ct);
        stream.AppendOne(new RejectedUploadPurged(record.Id, record.Tid, record.Location, record.Size, keptFor, now));
        try
        {
            await session.SaveChangesAsync(ct);
            return true;
        }
        catch (Exception e) when (Concurrency.IsConflict(e))
        {
            return false; // another node recorded it first
        }
    }

    /// <summary>
    /// Removes the files a database token staged (<c>.database/&lt;upload&gt;/</c>) once its container was finally
    /// swept (nothing more can arrive, so no late metadata can ask for a reload) and the database answered for
    /// every one of them. Returns true when the token is done; false while some answer is still awaited.
    /// </summary>
    public async Task<bool> RemoveStagedFiles(Guid tid, CancellationToken ct)
    {
        TokenContainer? token;
        List<UploadRecord> staged;
        await using (var query = store.QuerySession())
        {
            token = await query.LoadAsync<TokenContainer>(tid, ct);
            if (token is not { DeletedAt: not null, StagedFilesRemovedAt: null })
                return false;
            // Only database tokens stage anything; the others are just marked done, without reading their uploads.
            staged = token.Destination.Kind == DestinationKind.Database
                ? (await query.Query<UploadRecord>().Where(r => r.Tid == tid && r.RoutedTo == "database").ToListAsync(ct)).ToList()
                : [];
        }
        if (staged.Any(r => r.Status == UploadStatus.Pending))
            return false; // the database has not answered for all of them yet: a later pass comes back

        foreach (var record in staged)
            await storage.DeleteFolder(record.Wsid, $"{RoutingRules.DatabaseStagingFolder}/{record.Id:N}/", ct);

        await using var session = store.LightweightSession();
        var current = await session.LoadAsync<TokenContainer>(tid, ct);
        if (current is null || current.StagedFilesRemovedAt is not null)
            return false;
        current.StagedFilesRemovedAt = clock.GetUtcNow();
        session.Store(current);
        await session.SaveChangesAsync(ct);
        return true;
    }
}
