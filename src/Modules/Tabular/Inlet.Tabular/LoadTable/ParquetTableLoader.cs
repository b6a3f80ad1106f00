using System.Collections.Concurrent;
using System.Text.Json;
using Inlet.BuildingBlocks.Storage;
using Inlet.Tabular.Database;
using Inlet.Tabular.Loading;
using Inlet.Tabular.Metadata;
using Npgsql;
using NpgsqlTypes;
using ParquetSharp;

using static Inlet.Tabular.LoadTable.LoadRecords;

namespace Inlet.Tabular.LoadTable;

/// <summary>
/// Loads a Parquet file into a workspace table with the column types its schema declares (docs/adr/0021).
/// Parquet keeps its schema and row group index in a footer at the end of the file, so the one read of
/// storage spools the bytes to a local file (unlinked at once, as the CSV loader's spool) while computing
/// their MD5; a file whose MD5 is not the uploader's is refused before a byte of it is parsed. The spool is
/// then read locally, row group by row group, each column in batches of <see cref="BatchRows"/> values:
/// memory stays a few batches whatever the file's or its row groups' sizes. Same transaction, bookkeeping,
/// comments and outcome as a CSV load, so the catalogue, export, audit and reloads treat both alike.
/// </summary>
public sealed class ParquetTableLoader(WorkspaceDatabase database)
{
    public const int BatchRows = 4096;

    /// <summary>Batches in flight between the reading and the writing thread (one being read, one being written, one spare).</summary>
    private const int Slots = 3;

    /// <summary>How much of a column chunk ParquetSharp holds at a time; without it, whole column chunks (a row group) are read into memory.</summary>
    private const long ReadBufferBytes = 256 * 1024;

    private sealed record PlannedColumn(ParquetColumn Column, string Name, FieldDefinition? Field);

    /// <returns>What was loaded; null when metadata arrived before the commit (<see cref="LoadRequest.LateMetadata"/>).</returns>
    public async Task<LoadOutcome?> Load(LoadRequest request, CancellationToken ct)
    {
        await using var spool = TempFile();
        await using (var through = new ReadThroughStream(await request.Open(ct), spool))
        {
            request.Progress?.Enter(LoadProgress.Reading, () => through.BytesRead);
            var buffer = new byte[1 << 20];
            while (await through.ReadAsync(buffer, ct) > 0)
            {
            }
            if (request.ExpectedMd5 is { } expected && through.Md5() is var actual && actual != expected)
                throw new TableLoadException(ContentMd5.Mismatch(request.Source, expected, actual));
        }
        await spool.FlushAsync(ct);
        spool.Position = 0;

        using var properties = ReaderProperties.GetDefaultReaderProperties();
        properties.EnableBufferedStream();
        properties.BufferSize = ReadBufferBytes;
        ParquetFileReader file;
        try
        {
            file = new ParquetFileReader(spool, properties, leaveOpen: true) { LogicalTypeFactory = ParquetColumns.TypeFactory };
        }
        catch (Exception e) when (e is ParquetException or IOException)
        {
            throw new TableLoadException($"{request.Source} is not a readable Parquet file: {FirstLine(e.Message)}");
        }
        using (file)
        {
            var plan = Plan(request, file);
            var totalRows = file.FileMetaData.NumRows;
            return await Attempt(request, file, plan, totalRows, spool.Length, ct);
        }
    }

    private static List<PlannedColumn> Plan(LoadRequest request, ParquetFileReader file)
    {
        List<ParquetColumn> columns;
        List<string> refused;
        try
        {
            var metadata = file.FileMetaData; // owned by the reader
            var schema = metadata.Schema;
            (columns, refused) = ParquetColumns.Plan(schema);
        }
        catch (ParquetException e)
        {
            throw new TableLoadException($"{request.Source} is not a readable Parquet file: {FirstLine(e.Message)}");
        }
        if (refused.Count > 0)
            throw new TableLoadException($"{request.Source} cannot be loaded: {string.Join("; ", refused)}.");
        if (columns.Count == 0)
            throw new TableLoadException($"{request.Source} has no columns.");

        // Metadata beside a Parquet file names its table and adds titles, descriptions and keys; the types are the file's own.
        var fields = request.Definition?.Fields ?? [];
        var byName = new Dictionary<string, FieldDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in fields)
            byName.TryAdd(field.Name, field);
        var unknown = fields.Select(f => f.Name).Where(n => !columns.Any(c => string.Equals(c.Header, n, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
            throw new TableLoadException(
                $"{request.Source}: the metadata describes field(s) {string.Join(", ", unknown.Select(n => $"'{n}'"))} but the Parquet file has no such column; its columns are {string.Join(", ", columns.Select(c => c.Header))}.");
        var names = SqlNames.Columns(columns.Select(c => c.Header).ToList());
        return columns.Select((c, i) => new PlannedColumn(c, names[i], byName.GetValueOrDefault(c.Header))).ToList();
    }

    private async Task<LoadOutcome?> Attempt(LoadRequest request, ParquetFileReader file, List<PlannedColumn> columns, long totalRows, long bytes, CancellationToken ct)
    {
        var schema = WorkspaceDatabase.SchemaFor(request.Wsid);
        var mode = request.Definition?.Mode ?? LoadMode.Replace;
        await using var connection = await database.Open(request.Wsid, ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockTable(connection, request.Table, ct);
        if (await Recorded(connection, request.LoadKey, ct) is { } done)
            return done;

        await Execute(connection, $"create schema if not exists {SqlNames.Quote(schema)}", ct);
        var table = Qualified(schema, request.Table);
        var exists = await ExistingColumns(connection, schema, request.Table, ct);
        long rowsAdded;
        try
        {
            string target;
            if (mode == LoadMode.Append && exists.Count > 0)
            {
                var wanted = columns.Select(c => (c.Name, c.Column.Sql)).ToList();
                if (!exists.SequenceEqual(wanted))
                    throw new TableLoadException(
                        $"{request.Source}: cannot append to table '{request.Table}': it has columns ({Describe(exists)}) but the file has ({Describe(wanted)}). Use mode \"replace\" or make the columns match.");
                target = table;
            }
            else
            {
                var staging = mode == LoadMode.Append ? request.Table : $"_inlet_load_{Guid.NewGuid():N}";
                await Execute(connection, $"create table {Qualified(schema, staging)} ({string.Join(", ", columns.Select(c => $"{SqlNames.Quote(c.Name)} {c.Column.Sql}"))})", ct);
                target = Qualified(schema, staging);
            }
            request.Progress?.Enter(LoadProgress.Loading, () => totalRows == 0 ? bytes : (long)(bytes * ((double)(request.Progress?.Rows ?? 0) / totalRows)));
            rowsAdded = await Task.Factory.StartNew(() => Copy(connection, target, file, columns, request, ct), ct,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            if (request.LateMetadata is { } late && request.Definition is null && await late(ct))
                return null; // rolled back: the metadata's names and descriptions win
            if (target != table)
            {
                await Execute(connection, $"drop table if exists {table}", ct);
                await Execute(connection, $"alter table {target} rename to {SqlNames.Quote(request.Table)}", ct);
            }
            if (!(mode == LoadMode.Append && exists.Count > 0))
                await AddKeys(connection, table, columns, request.Definition, ct);
        }
        catch (PostgresException e) when (IsTheDatasFault(e))
        {
            throw new TableLoadException(Explain(request.Source, e));
        }
        // A Parquet load rejects no rows, but replacing a table also clears the list of rows an earlier CSV load did not take.
        await using (var rejects = new RejectedRows(TempFile()))
            await rejects.Save(connection, request, replace: mode == LoadMode.Replace, ct);

        var renamed = SqlNames.SystemRenames(columns.Select(c => c.Column.Header).ToList(), columns.Select(c => c.Name).ToList());
        await Comment(connection, schema, request.Table, null, request.Definition?.Description, ct);
        foreach (var column in columns)
            await Comment(connection, schema, request.Table, column.Name, TableColumn.Comment(column.Column.Header, column.Field), ct);
        var rows = mode == LoadMode.Append ? await CountRows(connection, table, ct) : rowsAdded;

        var described = columns.Select(c => TableColumn.Loaded(c.Name, ColumnTypes.PostgresName(c.Column.Type), c.Column.Header, c.Field, renamed)).ToList();
        var metadata = file.FileMetaData; // owned by the reader
        var outcome = new LoadOutcome(0, described, rows, rowsAdded, mode,
            request.Definition?.Title, request.Definition?.Description, 0, null,
            $"Parquet, {metadata.NumRowGroups} row group(s), written by {(string.IsNullOrWhiteSpace(metadata.CreatedBy) ? "an unnamed writer" : metadata.CreatedBy)}",
            renamed.Count == 0 ? null : renamed);
        await using var record = new NpgsqlCommand(
            $"insert into {WorkspaceDatabase.Bookkeeping}.loads (load_key, wsid, table_name, outcome) values ($1, $2, $3, $4::jsonb) returning sequence", connection);
        record.Parameters.Add(new() { Value = request.LoadKey });
        record.Parameters.Add(new() { Value = request.Wsid });
        record.Parameters.Add(new() { Value = request.Table });
        record.Parameters.Add(new() { Value = JsonSerializer.Serialize(outcome, OutcomeJson) });
        var sequence = (long)(await record.ExecuteScalarAsync(ct))!;
        if (request.BeforeCommit is { } beforeCommit)
            await beforeCommit(ct);
        await tx.CommitAsync(ct);
        return outcome with { Sequence = sequence };
    }

    /// <summary>
    /// Decoding (a reader thread) and writing binary COPY (this thread) run side by side on batches: the reader
    /// fills a free slot of every column, the writer writes the slot's rows and frees it.
    /// </summary>
    private static async Task<long> Copy(NpgsqlConnection connection, string table, ParquetFileReader file, List<PlannedColumn> columns, LoadRequest request,
        CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"copy {table} ({string.Join(", ", columns.Select(c => SqlNames.Quote(c.Name)))}) from stdin (format binary)", ct);
        var copies = columns.Select(c => c.Column.Copy(BatchRows, Slots)).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var full = new BlockingCollection<(int Slot, int Count, int Group, long FirstRow)>(Slots);
        using var free = new BlockingCollection<int>(Slots);
        for (var s = 0; s < Slots; s++)
            free.Add(s, ct);
        var reader = Task.Factory.StartNew(() => Read(file, copies, columns, request.Source, full, free, stop.Token), stop.Token,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long loaded = 0;
        try
        {
            foreach (var (slot, count, group, firstRow) in full.GetConsumingEnumerable(stop.Token))
            {
                for (var row = 0; row < count; row++)
                {
                    importer.StartRow();
                    for (var c = 0; c < copies.Length; c++)
                    {
                        try
                        {
                            copies[c].Write(importer, slot, row);
                        }
                        catch (ParquetValueException e)
                        {
                            throw new TableLoadException(
                                $"{request.Source}, row {firstRow + row + 1:N0} (row group {group + 1}), column '{columns[c].Column.Header}': {e.Message}.");
                        }
                    }
                }
                loaded += count;
                request.Progress?.SetRows(loaded);
                free.Add(slot, stop.Token);
            }
        }
        catch (OperationCanceledException) when (reader.IsFaulted)
        {
            // The reader's own failure is the one to report.
        }
        catch
        {
            await stop.CancelAsync();
            await Ignore(reader);
            throw;
        }
        finally
        {
            foreach (var copy in copies)
                copy.Dispose();
        }
        await reader; // rethrows the reader's failure (a corrupt page), if any
        return (long)await importer.CompleteAsync(ct);
    }

    private static void Read(ParquetFileReader file, ColumnCopy[] copies, List<PlannedColumn> columns, string source,
        BlockingCollection<(int, int, int, long)> full, BlockingCollection<int> free, CancellationToken ct)
    {
        var group = 0;
        long firstRow = 0;
        int ReadColumn(int c, int slot)
        {
            try
            {
                return copies[c].Read(slot);
            }
            catch (ParquetValueException e)
            {
                var row = e.Row is { } r ? $"row {firstRow + r + 1:N0}" : $"rows {firstRow + 1:N0}–{firstRow + BatchRows:N0}";
                throw new TableLoadException($"{source}, {row} (row group {group + 1}), column '{columns[c].Column.Header}': {e.Message}.");
            }
            catch (Exception e) when (e is InvalidCastException or NotSupportedException or OverflowException or ArgumentException)
            {
                throw Unreadable(c, e);
            }
        }

        // A column whose values do not read as its declared type says so, rather than leaving the load to be retried forever.
        TableLoadException Unreadable(int c, Exception e) =>
            new($"{source}: column '{columns[c].Column.Header}' ({columns[c].Column.ParquetType}) cannot be read in row group {group + 1}: {FirstLine(e.Message)}");
        try
        {
            var metadata = file.FileMetaData; // owned by the reader
            for (; group < metadata.NumRowGroups; group++)
            {
                using var rowGroup = file.RowGroup(group);
                var groupMetadata = rowGroup.MetaData;
                var rows = groupMetadata.NumRows;
                for (var c = 0; c < copies.Length; c++)
                {
                    try
                    {
                        copies[c].Open(rowGroup, columns[c].Column.Index);
                    }
                    catch (Exception e) when (e is InvalidCastException or NotSupportedException or ArgumentException)
                    {
                        throw Unreadable(c, e);
                    }
                }
                for (long done = 0; done < rows;)
                {
                    var slot = free.Take(ct);
                    var count = ReadColumn(0, slot);
                    for (var c = 1; c < copies.Length; c++)
                        if (ReadColumn(c, slot) is var other && other != count)
                            throw new TableLoadException(
                                $"{source} is damaged: in row group {group + 1}, column '{columns[c].Column.Header}' has {other:N0} values where '{columns[0].Column.Header}' has {count:N0}.");
                    if (count == 0)
                        throw new TableLoadException($"{source} is damaged: row group {group + 1} says it has {rows:N0} rows, but its columns end after {done:N0}.");
                    full.Add((slot, count, group, firstRow), ct);
                    done += count;
                    firstRow += count;
                }
                // Written already or being written from the slots: the readers are not needed for that.
                foreach (var copy in copies)
                    copy.Close();
            }
            full.CompleteAdding();
        }
        catch (ParquetException e)
        {
            full.CompleteAdding();
            throw new TableLoadException($"{source} is damaged: row group {group + 1} cannot be read ({FirstLine(e.Message)}).");
        }
        catch
        {
            full.CompleteAdding();
            throw;
        }
    }

    private static async Task Ignore(Task task)
    {
        try
        {
            await task;
        }
        catch
        {
            // The failure being reported is the writer's.
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static FileStream TempFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"inlet-load-{Guid.NewGuid():N}.tmp");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        File.Delete(path);
        return file;
    }

    private static string Describe(IEnumerable<(string Name, string Type)> columns) => string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"));

    private static async Task AddKeys(NpgsqlConnection connection, string table, List<PlannedColumn> columns, TableDefinition? definition, CancellationToken ct)
    {
        if (definition is null)
            return;
        string Name(string field) => columns.First(c => string.Equals(c.Column.Header, field, StringComparison.OrdinalIgnoreCase)).Name;
        if (definition.PrimaryKey.Count > 0)
            await Execute(connection, $"alter table {table} add primary key ({string.Join(", ", definition.PrimaryKey.Select(f => SqlNames.Quote(Name(f))))})", ct);
        foreach (var column in columns.Where(c => c.Field?.Unique == true && !(definition.PrimaryKey is [var only] && string.Equals(only, c.Column.Header, StringComparison.OrdinalIgnoreCase))))
            await Execute(connection, $"alter table {table} add unique ({SqlNames.Quote(column.Name)})", ct);
    }

    /// <summary>The table's columns with their full types (numeric(9,3), not numeric), to compare an append against.</summary>
    private static async Task<IReadOnlyList<(string Name, string Type)>> ExistingColumns(NpgsqlConnection connection, string schema, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a
            join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped order by a.attnum
            """, connection);
        command.Parameters.Add(new() { Value = schema });
        command.Parameters.Add(new() { Value = table });
        var columns = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            columns.Add((reader.GetString(0), reader.GetString(1)));
        return columns;
    }
}
