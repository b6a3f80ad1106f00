using System.Text;
using Inlet.BuildingBlocks.Storage;
using Inlet.Ingestion.Contracts;
using Inlet.Tabular.Contracts;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.Metadata;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Inlet.Tabular.ReceiveFile;

/// <summary>
/// A CSV or metadata file arrived for the database. Metadata is read and checked at once; a CSV waits
/// briefly for metadata that may still be on its way (AzCopy sends files in any order), then loads.
/// </summary>
public static class ReceiveDatabaseFileHandler
{
    public const int MaxMetadataBytes = 1024 * 1024;

    public static async Task<OutgoingMessages> Handle(DatabaseFileStaged staged, IDocumentSession session, StorageAccount storage,
        IOptions<TabularOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var messages = new OutgoingMessages();
        if (await session.LoadAsync<StagedTableFile>(staged.UploadId, ct) is not null)
            return messages; // a re-delivery: handled the first time, with its messages

        var file = new StagedTableFile
        {
            Id = staged.UploadId,
            Tid = staged.Tid,
            Wsid = staged.Wsid,
            Name = staged.Name,
            Container = staged.StagedContainer,
            Path = staged.StagedPath,
            ArrivedAt = staged.At,
            Size = staged.Size,
            AwaitedMetadata = [.. staged.AwaitedMetadata ?? []],
            Md5 = staged.Md5,
            BadRows = BadRowPolicies.FromSetting(staged.BadRows),
            ScanPending = staged.Scan,
        };
        session.Store(file);
        var now = clock.GetUtcNow();
        if (StagedTableFile.KindOf(staged.Name) is not { } kind)
        {
            file.Refused = true;
            messages.Add(new DatabaseFileRefused(file.Id, file.Wsid, $"{staged.Name} is neither a CSV file nor a metadata file the database understands.", now));
            return messages;
        }
        file.Kind = kind;

        if (kind == TableFileKind.Csv)
        {
            var metadata = await MetadataLookup.For(session, file, ct);
            // Without metadata, wait what is left of the grace since the CSV was detected: a large file's staging
            // usually took longer than that already, and then it loads at once. Both instants are on the Host's
            // clock: storage's Last-Modified would mix in the skew between two clocks.
            var waitLeft = options.Value.MetadataGrace - (now - (staged.DetectedAt ?? staged.At));
            file.GraceEndsAt = now + waitLeft;
            var waits = metadata is null && waitLeft > TimeSpan.Zero && staged.Size < options.Value.StartDuringGraceBytes;
            messages.Add(waits ? new LoadTable.LoadTable(file.Id).DelayedFor(waitLeft) : new LoadTable.LoadTable(file.Id));
            return messages;
        }

        IReadOnlyDictionary<string, TableDefinition> described;
        try
        {
            file.Metadata = await ReadMetadata(storage, staged, ct);
            described = MetadataMatching.Describes(file);
        }
        catch (MetadataException e)
        {
            file.Refused = true;
            file.RefusedReason = e.Message;
            file.Metadata = null;
            messages.Add(new DatabaseFileRefused(file.Id, file.Wsid, e.Message, now));
            // A CSV already waiting for this file is refused with it rather than loaded with guessed types.
            var stem = StagedTableFile.Folder(file.Name) + StagedTableFile.BaseName(file.Name);
            if (kind != TableFileKind.DataPackage)
                foreach (var waiting in await session.Query<StagedTableFile>()
                    .Where(f => f.Tid == file.Tid && f.Kind == TableFileKind.Csv && !f.Refused && f.LoadedKey == null).ToListAsync(ct))
                    if (StagedTableFile.Folder(waiting.Name) + StagedTableFile.BaseName(waiting.Name) == stem)
                        messages.Add(new LoadTable.LoadTable(waiting.Id));
            return messages;
        }

        var tables = described.Select(d => MetadataMatching.TableNameFor(d.Key, d.Value)).Distinct().Order().ToList();
        messages.Add(new DatabaseFileLoaded(file.Id, file.Wsid, tables, now));
        var names = described.Keys.ToList();
        var csvs = await session.Query<StagedTableFile>()
            .Where(f => f.Tid == file.Tid && f.Kind == TableFileKind.Csv && !f.Refused && names.Contains(f.Name))
            .ToListAsync(ct);
        foreach (var csv in csvs)
            messages.Add(new LoadTable.LoadTable(csv.Id));
        return messages;
    }

    private static async Task<string> ReadMetadata(StorageAccount storage, DatabaseFileStaged staged, CancellationToken ct)
    {
        if (staged.Size > MaxMetadataBytes)
            throw new MetadataException($"{staged.Name} is {staged.Size:N0} bytes; metadata files may be at most {MaxMetadataBytes:N0} bytes.");
        var bytes = (await storage.Container(staged.StagedContainer).GetBlobClient(staged.StagedPath).DownloadContentAsync(ct)).Value.Content.ToArray();
        if (staged.Md5 is { } expected && Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(bytes)) is var actual && actual != expected)
            throw new MetadataException(ContentMd5.Mismatch(staged.Name, expected, actual));
        if (bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
            return new StreamReader(new MemoryStream(bytes), detectEncodingFromByteOrderMarks: true).ReadToEnd(); // UTF-16 with its byte order mark
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.AsSpan(bytes is [0xEF, 0xBB, 0xBF, ..] ? 3 : 0));
        }
        catch (DecoderFallbackException)
        {
            throw new MetadataException($"{staged.Name} is not valid UTF-8 text; save it as UTF-8.");
        }
    }
}

/// <summary>Finds the newest metadata delivered with the same token that describes a CSV.</summary>
public static class MetadataLookup
{
    /// <summary>A sidecar (schema or XML definition) of this CSV that was refused: the CSV must not load without it.</summary>
    public static async Task<StagedTableFile?> RefusedSidecar(IQuerySession session, StagedTableFile csv, CancellationToken ct)
    {
        var stem = StagedTableFile.Folder(csv.Name) + StagedTableFile.BaseName(csv.Name);
        var refused = await session.Query<StagedTableFile>()
            .Where(f => f.Tid == csv.Tid && f.Refused && f.RefusedReason != null && f.Kind != TableFileKind.DataPackage)
            .ToListAsync(ct);
        return refused.FirstOrDefault(f => StagedTableFile.Folder(f.Name) + StagedTableFile.BaseName(f.Name) == stem);
    }

    public static async Task<(StagedTableFile File, TableDefinition Definition)?> For(IQuerySession session, StagedTableFile csv, CancellationToken ct)
    {
        var candidates = await session.Query<StagedTableFile>()
            .Where(f => f.Tid == csv.Tid && f.Kind != TableFileKind.Csv && !f.Refused && f.Metadata != null)
            .OrderByDescending(f => f.ArrivedAt)
            .ToListAsync(ct);
        foreach (var candidate in candidates)
            if (MetadataMatching.Describes(candidate).TryGetValue(csv.Name, out var definition))
                return (candidate, definition);
        return null;
    }
}
