using Inlet.BuildingBlocks.Concurrency;
using Azure;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.WorkspaceFiles;
using Inlet.Tabular.Contracts;
using Marten;

namespace Inlet.Ingestion.DatabaseRouting;

/// <summary>
/// Completes the uploads a database token staged, once the Tabular module says what became of them.
/// A refused file is never lost: its bytes move to the Inbox under a name no other file has.
/// </summary>
public static class DatabaseOutcomeHandler
{
    private const int MaxNameAttempts = 1000;

    public static async Task Handle(DatabaseFileLoaded loaded, IDocumentSession session, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<UploadRecord>(loaded.UploadId, ct);
        if (stream.Aggregate is not { } record || record.Status == UploadStatus.Rejected)
            return;
        var location = UploadRecordProjection.TableLocationPrefix + string.Join(",", loaded.Tables);
        if (record.Status == UploadStatus.Routed && record.Location == location && record.RowsLoaded == loaded.RowsLoaded && record.RowsRejected == loaded.RowsRejected)
            return; // a re-delivery
        stream.AppendOne(new UploadRouted(record.Id, record.Tid, location, record.Size, record.Md5, loaded.At,
            RowsLoaded: loaded.RowsLoaded, RowsRejected: loaded.RowsRejected, Note: loaded.Note));
        session.Delete<UploadProgress>(record.Id);
    }

    public static async Task Handle(DatabaseFileRefused refused, IDocumentStore store, WorkspaceStorage storage, InletMetrics metrics, CancellationToken ct)
    {
        UploadRecord? record;
        await using (var query = store.QuerySession())
            record = await query.LoadAsync<UploadRecord>(refused.UploadId, ct);
        if (record is not { Status: UploadStatus.Pending, StagedAt: not null })
            return;

        var keptAt = await ClaimInboxPath(store, record, ct);
        var container = WorkspaceStorage.ContainerFor(record.Wsid);
        if (!await storage.CopyIn(record.Wsid, container, record.Location, ETag.All, keptAt, record.Id, ct))
            throw new InvalidOperationException($"'{keptAt}' in workspace {record.Wsid} holds a file Inlet did not put there; upload {record.Id} waits.");

        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchForWriting<UploadRecord>(record.Id, ct);
        if (stream.Aggregate is not { Status: UploadStatus.Pending })
            return;
        stream.AppendOne(new DatabaseUploadRefused(record.Id, record.Tid, refused.Reason, keptAt, refused.At));
        session.Delete<UploadProgress>(record.Id);
        await session.SaveChangesAsync(ct);
        metrics.UploadsRejected.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Stage, "database"));
        await storage.Delete(record.Wsid, record.Location, ct);
    }

    /// <summary>The Inbox path this upload holds, claimed once: a retry finds its own earlier claim.</summary>
    private static async Task<string> ClaimInboxPath(IDocumentStore store, UploadRecord record, CancellationToken ct)
    {
        var wanted = $"{RoutingRules.InboxFolder}/{record.Name}";
        for (var attempt = 1; attempt <= MaxNameAttempts; attempt++)
        {
            var location = RoutingRules.Candidate(wanted, attempt);
            var id = $"{record.Wsid}/{location}";
            await using var session = store.LightweightSession();
            var claim = await session.LoadAsync<PathClaim>(id, ct);
            if (claim is not null)
            {
                if (claim.UploadId == record.Id)
                    return location;
                continue;
            }
            session.Insert(new PathClaim { Id = id, UploadId = record.Id });
            try
            {
                await session.SaveChangesAsync(ct);
                return location;
            }
            catch (Exception e) when (Concurrency.IsConflict(e))
            {
                attempt--; // somebody claimed it between the load and the insert: look at it again
            }
        }
        throw new InvalidOperationException($"No free name for '{wanted}' after {MaxNameAttempts} attempts.");
    }
}
