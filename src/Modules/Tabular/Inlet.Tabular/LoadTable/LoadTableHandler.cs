using Inlet.BuildingBlocks.Text;
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
        IOptions<TabularOptions> options, TimeProvider clock, InletMetrics metrics, IWolverineRuntime runtime, CancellationToken ct)
    {
        var subject = await Read(command, session, options.Value, clock, ct);
        var plan = TableLoadDecisions.Plan(subject, clock.GetUtcNow());
        if (plan.Step != TableLoadStep.Load)
            return new TableLoadAttempt(subject, plan, null);
        if (plan.RefusedBecause is { } refused)
            return new TableLoadAttempt(subject, plan, new TableLoadResult(null, refused));
        return new TableLoadAttempt(subject, plan, await Load(subject, plan, session, loader, storage, options.Value, clock, metrics, runtime, ct));
    }

    /// <summary>Large files take minutes; the default one-minute limit would cut them off.</summary>
    [MessageTimeout(4 * 3600)]
    public static OutgoingMessages Handle(LoadTable command, TableLoadAttempt attempt, IDocumentSession session, IOptions<TabularOptions> options, TimeProvider clock)
    {
        switch (attempt.Plan.Step)
        {
            case TableLoadStep.Nothing:
                return [];
            case TableLoadStep.WaitForMetadata:
                return [command.DelayedFor(options.Value.MetadataGrace)];
        }
        var record = TableLoadDecisions.Record(command, attempt.Subject, attempt.Plan, attempt.Result!, clock.GetUtcNow());
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

    /// <summary>Loads the file into the workspace database; a refusal of the file's data is a result, anything else throws (and is retried).</summary>
    private static async Task<TableLoadResult> Load(TableLoadSubject subject, TableLoadPlan plan, IQuerySession query, TableLoader loader, StorageAccount storage,
        TabularOptions options, TimeProvider clock, InletMetrics metrics, IWolverineRuntime runtime, CancellationToken ct)
    {
        var csv = subject.Csv!;
        var blob = storage.Container(csv.Container).GetBlobClient(csv.Path);
        var progress = new LoadProgress();
        Func<CancellationToken, Task<bool>>? lateMetadata = plan.WatchForLateMetadata
            ? innerCt => MetadataArrived(query, csv, csv.GraceEndsAt!.Value, options, clock, innerCt)
            : null;
        var request = new LoadRequest(csv.Wsid, plan.Table, plan.Key, csv.Name,
            // One GET streams the whole blob: the socket keeps receiving while the load parses, where OpenRead's ranged reads
            // (4 MiB, one at a time) left the parser waiting for each range (docs/performance.md). The SDK resumes a broken
            // download from where it stopped, pinned to the first response's ETag.
            async innerCt => (await blob.DownloadStreamingAsync(cancellationToken: innerCt)).Value.Content,
            plan.Definition, options.MissingValues, csv.Md5, csv.BadRows,
            progress, lateMetadata);

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
                result = await loader.Load(request, ct) is { } outcome ? new TableLoadResult(outcome, null) : TableLoadResult.Superseded;
            }
            finally
            {
                await stopReporting.CancelAsync();
                await reporting;
            }
        }
        catch (TableLoadException e)
        {
            result = new TableLoadResult(null, e.Message);
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
        // The uploader's data is at fault, not Inlet: the span says so without quoting the message (it may quote the data).
        span?.SetTag(InletTelemetry.Outcome, result.Outcome is not null ? "loaded" : result.Failure is not null ? "refused" : "superseded")
            .SetTag(InletTelemetry.Rows, result.Outcome?.Rows)
            .SetTag(InletTelemetry.Mode, result.Outcome is { } done ? EnumText.Name(done.Mode) : null);
        if (result.Outcome is { } loaded)
            metrics.TablesLoaded.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Mode, EnumText.Name(loaded.Mode)));
        return result;
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
