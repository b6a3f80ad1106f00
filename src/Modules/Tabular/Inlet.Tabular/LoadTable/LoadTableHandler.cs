using Inlet.BuildingBlocks.Text;
using Inlet.BuildingBlocks.Scanning;
using Inlet.BuildingBlocks.Storage;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Tabular.Catalogue;
using Inlet.Tabular.Contracts;
using Inlet.Tabular.Metadata;
using Inlet.Tabular.ReceiveFile;
using Marten;
using Microsoft.Extensions.Options;
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

/// <summary>The load step's result: what was read, what was planned from it, and what loading came to (null when nothing was loaded).</summary>
public sealed record TableLoadAttempt(TableLoadSubject Subject, TableLoadPlan Plan, TableLoadResult? Result);

/// <summary>
/// An A-frame (ADR 24): <see cref="LoadAsync"/> reads what the decision needs and, when <see cref="TableLoadDecisions.Plan"/> says
/// so, loads the table in the workspace database (its own transaction there, recorded by load key, so a retry or a second node
/// finds it done); <see cref="Handle"/> records what <see cref="TableLoadDecisions.Record"/> decides, and Wolverine commits it with
/// the outgoing messages in one transaction. A second node recording the same load first makes the insert of
/// <see cref="RecordedTableLoad"/> conflict: the retry policy runs this again, which then finds the file loaded and does nothing.
/// </summary>
public static class LoadTableHandler
{
    public static async Task<TableLoadAttempt> LoadAsync(LoadTable command, IDocumentSession session, TableLoader loader, StorageAccount storage,
        IOptions<TabularOptions> options, TimeProvider clock, InletMetrics metrics, IWolverineRuntime runtime, ClamdClient clamd, IOptions<ScanningOptions> scanning,
        CancellationToken ct)
    {
        var subject = await Read(command, session, options.Value, clock, ct);
        var plan = TableLoadDecisions.Plan(subject, clock.GetUtcNow());
        if (plan.Step != TableLoadStep.Load)
            return new TableLoadAttempt(subject, plan, null);
        if (plan.RefusedBecause is { } refused)
            return new TableLoadAttempt(subject, plan, new TableLoadResult(null, refused));
        // A file staged unscanned is scanned in the load's own read; with scanning switched off since, it loads unscanned (ADR 23's switch).
        var scan = subject.Csv!.ScanPending && scanning.Value.Enabled ? clamd : null;
        return new TableLoadAttempt(subject, plan, await Load(subject, plan, session, loader, storage, options.Value, clock, metrics, runtime, scan, ct));
    }

    /// <summary>Large files take minutes; the default one-minute limit would cut them off.</summary>
    [MessageTimeout(4 * 3600)]
    public static OutgoingMessages Handle(LoadTable command, TableLoadAttempt attempt, IDocumentSession session, IOptions<TabularOptions> options, TimeProvider clock,
        IOptions<ScanningOptions> scanning)
    {
        switch (attempt.Plan.Step)
        {
            case TableLoadStep.Nothing:
                return [];
            case TableLoadStep.WaitForMetadata:
                return [command.DelayedFor(options.Value.MetadataGrace)];
        }
        var record = TableLoadDecisions.Record(command, attempt.Subject, attempt.Plan, attempt.Result!, clock.GetUtcNow(), scanning.Value.RetryInterval);
        if (record.Marker is { } marker)
            session.Insert(marker);
        if (record.Csv is { } csv)
            session.Store(csv);
        if (record.Event is { } recorded)
            session.Events.Append(record.TableId, recorded);
        return record.Messages;
    }

    private static async Task<TableLoadSubject> Read(LoadTable command, IQuerySession query, TabularOptions options, TimeProvider clock, CancellationToken ct)
    {
        var csv = await query.LoadAsync<StagedTableFile>(command.CsvUploadId, ct);
        if (csv is null || csv.Refused)
            return new TableLoadSubject(csv, null, null, null, false);
        var metadata = await MetadataLookup.For(query, csv, ct);
        var refusedSidecar = metadata is null && csv.LoadedKey is null ? await MetadataLookup.RefusedSidecar(query, csv, ct) : null;
        var current = csv.Table is not null ? await query.LoadAsync<WorkspaceTable>(WorkspaceTable.IdFor(csv.Wsid, csv.Table), ct) : null;
        var awaits = metadata is null && refusedSidecar is null && csv.LoadedKey is null && await StillAwaitsMetadata(query, csv, options, clock, ct);
        return new TableLoadSubject(csv, metadata, refusedSidecar, current, awaits);
    }

    /// <summary>
    /// Loads the file into the workspace database; a refusal of the file's data is a result, anything else throws (and is retried).
    /// With <paramref name="clamd"/>, the load's one read of storage is scanned as it goes (<see cref="ScannedRead"/>) and the
    /// load commits only after clamd's clean verdict on the whole file (docs/adr/0037): malware rolls it back (a result), a
    /// scanner that cannot be asked rolls it back too and the load waits for it (a result as well: nothing was decided).
    /// </summary>
    private static async Task<TableLoadResult> Load(TableLoadSubject subject, TableLoadPlan plan, IQuerySession query, TableLoader loader, StorageAccount storage,
        TabularOptions options, TimeProvider clock, InletMetrics metrics, IWolverineRuntime runtime, ClamdClient? clamd, CancellationToken ct)
    {
        var csv = subject.Csv!;
        var blob = storage.Container(csv.Container).GetBlobClient(csv.Path);
        var progress = new LoadProgress();
        Func<CancellationToken, Task<bool>>? lateMetadata = plan.WatchForLateMetadata
            ? innerCt => MetadataArrived(query, csv, csv.GraceEndsAt!.Value, options, clock, innerCt)
            : null;
        ScannedRead? scanned = null;
        var request = new LoadRequest(csv.Wsid, plan.Table, plan.Key, csv.Name,
            // One GET streams the whole blob: the socket keeps receiving while the load parses, where OpenRead's ranged reads
            // (4 MiB, one at a time) left the parser waiting for each range (docs/performance.md). The SDK resumes a broken
            // download from where it stopped, pinned to the first response's ETag.
            async innerCt =>
            {
                var content = (await blob.DownloadStreamingAsync(cancellationToken: innerCt)).Value.Content;
                if (clamd is null)
                    return content;
                if (scanned is not null)
                    throw new InvalidOperationException("A scanned load reads storage once; it was opened a second time.");
                return scanned = new ScannedRead(content, clamd, ct);
            },
            plan.Definition, options.MissingValues, csv.Md5, csv.BadRows,
            progress, lateMetadata,
            clamd is null ? null : async innerCt =>
            {
                if (scanned is null)
                    throw new InvalidOperationException("The load would commit without having read the file it was to scan.");
                progress.Enter(LoadProgress.Scanning, () => scanned.BytesRead);
                await scanned.RequireClean(innerCt);
            });

        using var span = InletTelemetry.Source.StartActivity("table.load");
        span?.SetTag(InletTelemetry.UploadId, csv.Id)
            .SetTag(InletTelemetry.TokenId, csv.Tid)
            .SetTag(InletTelemetry.Table, plan.Table)
            .SetTag("inlet.metadata", subject.Metadata is null ? "inferred" : "declared");
        TableLoadResult result;
        try
        {
            using var stopReporting = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var reporting = ReportProgress(csv, progress, new MessageBus(runtime), options.ProgressInterval, clock, stopReporting.Token);
            try
            {
                // A load that commits under a scan committed after its clean verdict; so did one an earlier attempt recorded under
                // this key (it found it recorded and returns that outcome without reading).
                result = await loader.Load(request, ct) is { } outcome ? new TableLoadResult(outcome, null, Scanned: clamd is not null) : TableLoadResult.Superseded;
            }
            finally
            {
                await stopReporting.CancelAsync();
                await reporting;
            }
        }
        catch (TableLoadException e)
        {
            // Refused by its data: where the whole file was read its verdict is on its way, and malware wins over a refusal
            // (the file goes to the quarantine, not the Inbox). Otherwise Ingestion scans it before keeping it anywhere.
            result = await VerdictOnRefusal(scanned, e.Message, ct);
        }
        catch (Exception e) when (Caused<MalwareFoundException>(e) is { } found)
        {
            result = new TableLoadResult(null, null, BlockedBy: found.Signature);
        }
        catch (Exception e) when (Caused<ScannerUnavailableException>(e) is { } down)
        {
            result = new TableLoadResult(null, null, ScannerDown: down.Message);
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
        finally
        {
            scanned?.Dispose();
        }
        if (scanned is not null)
        {
            result = result with { Scan = new LoadScan(Math.Round((scanned.ScanTime ?? TimeSpan.Zero).TotalSeconds, 3), Math.Round(scanned.Waited.TotalSeconds, 3)) };
            span?.SetTag("inlet.scan", result.BlockedBy is not null ? "blocked" : result.ScannerDown is not null ? "unavailable" : result.Scanned ? "clean" : "none");
        }
        // The uploader's data is at fault, not Inlet: the span says so without quoting the message (it may quote the data).
        span?.SetTag(InletTelemetry.Outcome, result.Outcome is not null ? "loaded" : result.Failure is not null ? "refused"
                : result.BlockedBy is not null ? "blocked" : result.ScannerDown is not null ? "waits_for_scanner" : "superseded")
            .SetTag(InletTelemetry.Rows, result.Outcome?.Rows)
            .SetTag(InletTelemetry.Mode, result.Outcome is { } done ? EnumText.Name(done.Mode) : null);
        if (result.Outcome is { } loaded)
            metrics.TablesLoaded.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Mode, EnumText.Name(loaded.Mode)));
        return result;
    }

    /// <summary>A refusal of a file whose scanned read ended: clamd's verdict decides between refused (clean) and blocked.</summary>
    private static async Task<TableLoadResult> VerdictOnRefusal(ScannedRead? scanned, string failure, CancellationToken ct)
    {
        if (scanned is not { Ended: true })
            return new TableLoadResult(null, failure);
        try
        {
            var verdict = await scanned.Verdict(ct);
            return verdict.Clean ? new TableLoadResult(null, failure, Scanned: true) : new TableLoadResult(null, null, BlockedBy: verdict.Signature);
        }
        catch (ScannerUnavailableException)
        {
            return new TableLoadResult(null, failure); // refused without a verdict: scanned again before it is kept anywhere
        }
    }

    /// <summary>The exception of type <typeparamref name="T"/> that <paramref name="e"/> is or wraps, if any (a read's failure may come wrapped).</summary>
    private static T? Caused<T>(Exception e) where T : Exception
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is T found)
                return found;
        return e is AggregateException aggregate ? aggregate.Flatten().InnerExceptions.OfType<T>().FirstOrDefault() : null;
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

    /// <summary>Waits out the grace, then tells whether metadata for the CSV is known now (found, refused, or delivered and on its way).</summary>
    private static async Task<bool> MetadataArrived(IQuerySession query, StagedTableFile csv, DateTimeOffset graceEnds, TabularOptions options, TimeProvider clock,
        CancellationToken ct)
    {
        if (graceEnds - clock.GetUtcNow() is { } left && left > TimeSpan.Zero)
            await Task.Delay(left, clock, ct);
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
}
