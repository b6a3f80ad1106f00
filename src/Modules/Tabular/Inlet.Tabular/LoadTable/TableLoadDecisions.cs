using Inlet.BuildingBlocks.Text;
using Inlet.Tabular.Catalogue;
using Inlet.Tabular.Contracts;
using Inlet.Tabular.Metadata;
using Inlet.Tabular.ReceiveFile;
using Wolverine;

namespace Inlet.Tabular.LoadTable;

/// <summary>What a table load decides from, read before anything is loaded.</summary>
/// <param name="Csv">The staged data file (CSV or Parquet); null when it is unknown.</param>
/// <param name="Metadata">The metadata that describes it now, if any.</param>
/// <param name="RefusedSidecar">A metadata file meant for it that was refused: then it must not load without it.</param>
/// <param name="Current">The table as it stands, when the file was loaded before (a reload must find it still the file's).</param>
/// <param name="AwaitsMetadata">Metadata delivered with it is still being routed: loading now would guess types it contradicts.</param>
public sealed record TableLoadSubject(
    StagedTableFile? Csv,
    (StagedTableFile File, TableDefinition Definition)? Metadata,
    StagedTableFile? RefusedSidecar,
    WorkspaceTable? Current,
    bool AwaitsMetadata);

public enum TableLoadStep
{
    /// <summary>Unknown, refused, already loaded with this metadata, or no longer the table's content: nothing to do.</summary>
    Nothing,

    /// <summary>Metadata is on its way: the same command again after the grace.</summary>
    WaitForMetadata,

    /// <summary>Load the file into the table (or refuse it, when <see cref="TableLoadPlan.RefusedBecause"/> says why).</summary>
    Load,
}

/// <param name="Key">The load key (CSV + metadata): a load is recorded once, in the event store and in the workspace database.</param>
/// <param name="RefusedBecause">The file is refused without being read (its metadata was refused).</param>
/// <param name="WatchForLateMetadata">A load with inferred types that started within the grace: metadata arriving before it
/// commits supersedes it.</param>
public sealed record TableLoadPlan(TableLoadStep Step, string Key = "", string Table = "", TableDefinition? Definition = null, string? RefusedBecause = null,
    bool WatchForLateMetadata = false);

/// <summary>What loading came to: the outcome, or why the file was refused; neither when metadata superseded it before the commit.</summary>
/// <param name="Scanned">The load's own read was scanned and clamd found the whole file clean (docs/adr/0037).</param>
/// <param name="BlockedBy">The scan matched this signature: nothing committed, and the file is never loaded.</param>
/// <param name="ScannerDown">The scan could not be done (clamd unreachable or silent): nothing committed; the load runs again later.</param>
/// <param name="Scan">How long the scan ran and how long the commit waited for its verdict, for the table's record.</param>
public sealed record TableLoadResult(LoadOutcome? Outcome, string? Failure, bool Scanned = false, string? BlockedBy = null, string? ScannerDown = null,
    LoadScan? Scan = null)
{
    public static TableLoadResult Superseded { get; } = new(null, null);
}

/// <summary>What the decision records: the load's marker, the file's new state, the table stream's event, and the messages to send.</summary>
public sealed record TableLoadRecord(RecordedTableLoad? Marker, StagedTableFile? Csv, Guid TableId, object? Event, OutgoingMessages Messages);

/// <summary>
/// The pure decisions of loading a table (ADR 24's A-frame): <see cref="Plan"/> before the load, <see cref="Record"/> after it.
/// No I/O here: LoadTableHandler reads what they need, runs the load between them, and Wolverine commits what they return.
/// </summary>
public static class TableLoadDecisions
{
    public static TableLoadPlan Plan(TableLoadSubject subject, DateTimeOffset now)
    {
        if (subject.Csv is not { Refused: false } csv)
            return new TableLoadPlan(TableLoadStep.Nothing);
        var firstLoad = csv.LoadedKey is null;
        if (subject.Metadata is null && subject.RefusedSidecar is null && firstLoad && subject.AwaitsMetadata)
            return new TableLoadPlan(TableLoadStep.WaitForMetadata);
        var key = $"{csv.Id:N}/{subject.Metadata?.File.Id.ToString("N") ?? "inferred"}";
        var definition = subject.Metadata?.Definition;
        if (csv.LoadedKey == key || (!firstLoad && !MayReload(csv, subject.Current, definition)))
            return new TableLoadPlan(TableLoadStep.Nothing);
        var refused = subject.RefusedSidecar is { } sidecar
            ? $"{csv.Name} was not loaded because its metadata file was refused — {sidecar.RefusedReason} Upload a corrected {StagedTableFile.FileName(sidecar.Name)} together with the CSV again."
            : null;
        // A large CSV started before its grace ended (ReceiveDatabaseFileHandler): before it commits, metadata that came meanwhile wins.
        var watch = subject.Metadata is null && refused is null && firstLoad && csv.GraceEndsAt is { } graceEnds && graceEnds > now;
        return new TableLoadPlan(TableLoadStep.Load, key, MetadataMatching.TableNameFor(csv.Name, definition), definition, refused, watch);
    }

    /// <summary>
    /// Metadata that arrives after its CSV was loaded reloads it, as if both had come together — but only
    /// while that CSV is still the table's content, and never by appending the same rows twice.
    /// </summary>
    public static bool MayReload(StagedTableFile csv, WorkspaceTable? current, TableDefinition? definition) =>
        current is not null && current.UploadId == csv.Id && csv.LoadedMode != LoadMode.Append && definition?.Mode != LoadMode.Append;

    /// <summary>What to record once the load of <paramref name="plan"/> came to <paramref name="result"/>.</summary>
    /// <param name="scannerRetry">How long a load whose scan could not be done waits before it runs again (<c>Scanning:RetryInterval</c>).</param>
    public static TableLoadRecord Record(LoadTable command, TableLoadSubject subject, TableLoadPlan plan, TableLoadResult result, DateTimeOffset now,
        TimeSpan? scannerRetry = null)
    {
        var csv = subject.Csv!;
        var tableId = WorkspaceTable.IdFor(csv.Wsid, plan.Table);
        var messages = new OutgoingMessages();
        if (result.ScannerDown is not null)
        {
            // Nothing committed: the file waits (never loaded unscanned) and the same command tries again, until clamd answers.
            messages.Add(command.DelayedFor(scannerRetry ?? TimeSpan.FromSeconds(30)));
            return new TableLoadRecord(null, null, tableId, null, messages);
        }
        if (result.BlockedBy is { } signature)
        {
            // Rolled back: the table is as it was. Refused for good, so that no later metadata or reload reads the file again;
            // Ingestion quarantines the staged copy. The upload's own stream records the block (and the audit shows it).
            csv.Refused = true;
            csv.BlockedBy = signature;
            messages.Add(new DatabaseFileBlocked(csv.Id, csv.Wsid, signature, now));
            return new TableLoadRecord(new RecordedTableLoad { Id = plan.Key }, csv, tableId, null, messages);
        }
        if (result is { Outcome: null, Failure: null })
        {
            // Superseded by metadata that arrived before the commit: nothing committed; the same command again finds the
            // metadata (or waits for it, as any load does).
            messages.Add(command);
            return new TableLoadRecord(null, null, tableId, null, messages);
        }
        var metadataId = subject.Metadata?.File.Id;
        object recorded;
        if (result.Outcome is { } outcome)
        {
            csv.LoadedKey = plan.Key;
            csv.Table = plan.Table;
            csv.LoadedMode = outcome.Mode;
            csv.ScanPending = false; // committed after a clean verdict: a reload reads a file already scanned
            recorded = new TableLoaded(tableId, csv.Wsid, plan.Table, outcome.Title, outcome.Description, outcome.Columns, outcome.Rows, outcome.RowsAdded,
                outcome.Mode, outcome.Sequence, csv.Name, csv.Tid, csv.Id, metadataId, now, outcome.RowsRejected, outcome.Encoding, outcome.Dialect,
                outcome.Renamed, result.Scan);
            messages.Add(new DatabaseFileLoaded(csv.Id, csv.Wsid, [plan.Table], now, outcome.RowsAdded, outcome.RowsRejected, Note(outcome), result.Scanned));
        }
        else
        {
            // A first load that fails refuses the file (it goes to the Inbox); a reload that fails leaves the loaded table as it was.
            csv.Refused = csv.LoadedKey is null;
            recorded = new TableLoadFailed(tableId, csv.Wsid, plan.Table, csv.Name, csv.Tid, csv.Id, metadataId, result.Failure!, now);
            if (csv.Refused)
                messages.Add(new DatabaseFileRefused(csv.Id, csv.Wsid, result.Failure!, now, result.Scanned));
        }
        return new TableLoadRecord(new RecordedTableLoad { Id = plan.Key }, csv, tableId, recorded, messages);
    }

    /// <summary>What the upload record says of how the file was read: the encoding when it was not UTF-8, columns renamed, and the rows not loaded.</summary>
    private static string? Note(LoadOutcome outcome)
    {
        var parts = new List<string>();
        if (outcome.Encoding is { } encoding && encoding != Loading.TextEncodings.Utf8)
            parts.Add($"The file is not UTF-8; it was read as {encoding}.");
        foreach (var renamed in outcome.Renamed ?? [])
            parts.Add($"Column '{QuotedText.Printable(renamed.Header, 80)}' was loaded as column {renamed.Column}: PostgreSQL reserves that name for a system column.");
        if (outcome.RowsRejected > 0)
            parts.Add($"{outcome.RowsRejected:N0} row(s) could not be loaded; each is listed with its line and reason at the table's rejects.");
        return parts.Count == 0 ? null : string.Join(" ", parts);
    }
}
