using Inlet.BuildingBlocks.Storage;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Tabular.Catalogue;
using Inlet.Tabular.Contracts;
using Inlet.Tabular.Metadata;
using Inlet.Tabular.ReceiveFile;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Wolverine;
using Wolverine.Attributes;
using Wolverine.Runtime;
using Wolverine.Marten;

namespace Inlet.Tabular.LoadTable;

/// <summary>Load a staged CSV with the metadata known for it now (inferred types when there is none).</summary>
public sealed record LoadTable(Guid CsvUploadId);

/// <summary>Marks a load (CSV + metadata) as recorded in the event store; its id is the load key, so a load is recorded once.</summary>
public sealed class RecordedTableLoad
{
    public string Id { get; set; } = "";
}

public static class LoadTableHandler
{
    /// <summary>Large files take minutes; the default one-minute limit would cut them off.</summary>
    [MessageTimeout(4 * 3600)]
    public static async Task Handle(LoadTable command, IDocumentStore store, IMartenOutbox outbox, IMessageBus bus, TableLoader loader, StorageAccount storage,
        IOptions<TabularOptions> options, TimeProvider clock, InletMetrics metrics, IWolverineRuntime runtime, CancellationToken ct)
    {
        StagedTableFile? csv;
        (StagedTableFile File, TableDefinition Definition)? metadata;
        StagedTableFile? refusedSidecar = null;
        WorkspaceTable? current = null;
        await using (var query = store.QuerySession())
        {
            csv = await query.LoadAsync<StagedTableFile>(command.CsvUploadId, ct);
            if (csv is null || csv.Refused)
                return;
            metadata = await MetadataLookup.For(query, csv, ct);
            if (metadata is null && csv.LoadedKey is null)
                refusedSidecar = await MetadataLookup.RefusedSidecar(query, csv, ct);
            if (csv.Table is not null)
                current = await query.LoadAsync<WorkspaceTable>(WorkspaceTable.IdFor(csv.Wsid, csv.Table), ct);
            if (metadata is null && refusedSidecar is null && csv.LoadedKey is null && await StillAwaitsMetadata(query, csv, options.Value, clock, ct))
            {
                // Its metadata was delivered but is still being routed: loading now would guess types that a moment later contradict it.
                await bus.ScheduleAsync(command, options.Value.MetadataGrace);
                return;
            }
        }

        var key = $"{csv.Id:N}/{metadata?.File.Id.ToString("N") ?? "inferred"}";
        if (csv.LoadedKey == key)
            return;
        var definition = metadata?.Definition;
        if (csv.LoadedKey is not null && !MayReload(csv, current, definition))
            return;

        var table = MetadataMatching.TableNameFor(csv.Name, definition);
        var blob = storage.Container(csv.Container).GetBlobClient(csv.Path);
        var progress = new LoadProgress();
        // A large CSV started before its grace ended (ReceiveDatabaseFileHandler): before it commits, metadata that came meanwhile wins.
        Func<CancellationToken, Task<bool>>? lateMetadata = metadata is null && refusedSidecar is null && csv.LoadedKey is null && csv.GraceEndsAt is { } graceEnds && graceEnds > clock.GetUtcNow()
            ? innerCt => MetadataArrived(store, csv, graceEnds, options.Value, clock, innerCt)
            : null;
        var request = new LoadRequest(csv.Wsid, table, key, csv.Name,
            // One GET streams the whole blob: the socket keeps receiving while the load parses, where OpenRead's ranged reads
            // (4 MiB, one at a time) left the parser waiting for each range (docs/performance.md). The SDK resumes a broken
            // download from where it stopped, pinned to the first response's ETag.
            async innerCt => (await blob.DownloadStreamingAsync(cancellationToken: innerCt)).Value.Content,
            definition, options.Value.MissingValues, csv.Md5, csv.BadRows switch { "report" => BadRowPolicy.Report, "refuse" => BadRowPolicy.Refuse, _ => null },
            progress, lateMetadata);

        using var span = InletTelemetry.Source.StartActivity("table.load");
        span?.SetTag(InletTelemetry.UploadId, csv.Id)
            .SetTag(InletTelemetry.TokenId, csv.Tid)
            .SetTag(InletTelemetry.Table, table)
            .SetTag("inlet.metadata", metadata is null ? "inferred" : "declared");
        LoadOutcome? outcome = null;
        string? failure = refusedSidecar is null
            ? null
            : $"{csv.Name} was not loaded because its metadata file was refused — {refusedSidecar.RefusedReason} Upload a corrected {StagedTableFile.FileName(refusedSidecar.Name)} together with the CSV again.";
        try
        {
            if (failure is null)
            {
                using var stopReporting = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var reporting = ReportProgress(csv, progress, new MessageBus(runtime), options.Value.ProgressInterval, clock, stopReporting.Token);
                try
                {
                    outcome = await loader.Load(request, ct);
                }
                finally
                {
                    await stopReporting.CancelAsync();
                    await reporting;
                }
            }
        }
        catch (TableLoadException e)
        {
            failure = e.Message;
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
        if (outcome is null && failure is null)
        {
            // Superseded by metadata that arrived before the commit (LoadRequest.LateMetadata): nothing committed; the same
            // command again finds the metadata (or waits for it, as any load does).
            span?.SetTag(InletTelemetry.Outcome, "superseded");
            await bus.PublishAsync(command);
            return;
        }
        // The uploader's data is at fault, not Inlet: the span says so without quoting the message (it may quote the data).
        span?.SetTag(InletTelemetry.Outcome, outcome is null ? "refused" : "loaded")
            .SetTag(InletTelemetry.Rows, outcome?.Rows)
            .SetTag(InletTelemetry.Mode, outcome?.Mode);

        await using var session = store.LightweightSession();
        outbox.Enroll(session);
        var now = clock.GetUtcNow();
        var tableId = WorkspaceTable.IdFor(csv.Wsid, table);
        session.Insert(new RecordedTableLoad { Id = key });
        if (outcome is not null)
        {
            csv.LoadedKey = key;
            csv.Table = table;
            csv.LoadedMode = outcome.Mode == "append" ? LoadMode.Append : LoadMode.Replace;
            session.Events.Append(tableId, new TableLoaded(tableId, csv.Wsid, table, outcome.Title, outcome.Description, outcome.Columns,
                outcome.Rows, outcome.RowsAdded, outcome.Mode, outcome.Sequence, csv.Name, csv.Tid, csv.Id, metadata?.File.Id, now,
                outcome.RowsRejected, outcome.Encoding, outcome.Dialect));
            await outbox.PublishAsync(new DatabaseFileLoaded(csv.Id, csv.Wsid, [table], now, outcome.RowsAdded, outcome.RowsRejected, Note(outcome)));
        }
        else
        {
            // A first load that fails refuses the file (it goes to the Inbox); a reload that fails leaves the loaded table as it was.
            csv.Refused = csv.LoadedKey is null;
            session.Events.Append(tableId, new TableLoadFailed(tableId, csv.Wsid, table, csv.Name, csv.Tid, csv.Id, metadata?.File.Id, failure!, now));
            if (csv.Refused)
                await outbox.PublishAsync(new DatabaseFileRefused(csv.Id, csv.Wsid, failure!, now));
        }
        session.Store(csv);
        try
        {
            await session.SaveChangesAsync(ct);
            if (outcome is not null)
                metrics.TablesLoaded.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Mode, outcome.Mode));
        }
        catch (Exception e) when (IsAlreadyRecorded(e))
        {
            // Another node (or an earlier attempt) recorded this very load.
        }
    }

    /// <summary>
    /// Tells the upload record how far the load has come, every <paramref name="interval"/> while it runs. Sent at once
    /// (not with the handler's outbox, which sends only when the handler ends); a report that fails is skipped.
    /// </summary>
    private static async Task ReportProgress(StagedTableFile csv, LoadProgress progress, IMessageBus bus, TimeSpan interval, TimeProvider clock, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await bus.PublishAsync(new DatabaseFileLoadProgressed(csv.Id, csv.Wsid, progress.Phase, progress.BytesDone, csv.Size, progress.Rows, clock.GetUtcNow()));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Progress is shown, never relied on: the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The load ended.
        }
    }

    /// <summary>
    /// Metadata that arrives after its CSV was loaded reloads it, as if both had come together — but only
    /// while that CSV is still the table's content, and never by appending the same rows twice.
    /// </summary>
    private static bool MayReload(StagedTableFile csv, WorkspaceTable? current, TableDefinition? definition) =>
        current is not null && current.UploadId == csv.Id && csv.LoadedMode != LoadMode.Append && definition?.Mode != LoadMode.Append;

    /// <summary>Waits out the grace, then tells whether metadata for the CSV is known now (found, refused, or delivered and on its way).</summary>
    private static async Task<bool> MetadataArrived(IDocumentStore store, StagedTableFile csv, DateTimeOffset graceEnds, TabularOptions options, TimeProvider clock,
        CancellationToken ct)
    {
        if (graceEnds - clock.GetUtcNow() is { } left && left > TimeSpan.Zero)
            await Task.Delay(left, clock, ct);
        await using var query = store.QuerySession();
        return await MetadataLookup.For(query, csv, ct) is not null
            || await MetadataLookup.RefusedSidecar(query, csv, ct) is not null
            || await StillAwaitsMetadata(query, csv, options, clock, ct);
    }

    private static async Task<bool> StillAwaitsMetadata(IQuerySession query, StagedTableFile csv, TabularOptions options, TimeProvider clock, CancellationToken ct)
    {
        if (csv.AwaitedMetadata.Count == 0 || clock.GetUtcNow() - csv.ArrivedAt >= options.MetadataWaitLimit)
            return false;
        var awaited = csv.AwaitedMetadata;
        var arrived = await query.Query<StagedTableFile>().Where(f => f.Tid == csv.Tid && awaited.Contains(f.Name)).Select(f => f.Name).ToListAsync(ct);
        return awaited.Except(arrived).Any();
    }

    /// <summary>What the upload record says of how the file was read: the encoding when it was not UTF-8, and the rows not loaded.</summary>
    private static string? Note(LoadOutcome outcome)
    {
        var parts = new List<string>();
        if (outcome.Encoding is { } encoding && encoding != Loading.TextEncodings.Utf8)
            parts.Add($"The file is not UTF-8; it was read as {encoding}.");
        if (outcome.RowsRejected > 0)
            parts.Add($"{outcome.RowsRejected:N0} row(s) could not be loaded; each is listed with its line and reason at the table's rejects.");
        return parts.Count == 0 ? null : string.Join(" ", parts);
    }

    private static bool IsAlreadyRecorded(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } || inner.GetType().Name == "DocumentAlreadyExistsException")
                return true;
        return false;
    }
}
