using System.Text.Json;
using System.Text.RegularExpressions;
using Inlet.Tabular.Database;
using Inlet.Tabular.Loading;
using Inlet.Tabular.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace Inlet.Tabular.LoadTable;

/// <param name="LoadKey">Identifies this CSV with this metadata: loading the same key twice changes nothing.</param>
/// <param name="Open">Opens the CSV's bytes from the start; called once, or twice when types are inferred.</param>
public sealed record LoadRequest(
    string Wsid,
    string Table,
    string LoadKey,
    string Source,
    Func<CancellationToken, Task<Stream>> Open,
    TableDefinition? Definition,
    IReadOnlyList<string> MissingValues);

public sealed record LoadOutcome(long Sequence, IReadOnlyList<TableColumn> Columns, long Rows, long RowsAdded, string Mode, string? Title, string? Description);

/// <summary>The CSV or its metadata is at fault; the message says what a person must change. Nothing was loaded.</summary>
public sealed class TableLoadException(string message) : Exception(message);

/// <summary>
/// Streams a CSV into a workspace table with binary COPY in one transaction: memory stays flat whatever
/// the file's size, and readers see the old table or the new one, never a half-loaded one.
/// </summary>
public sealed class TableLoader(WorkspaceDatabase database)
{
    private static readonly JsonSerializerOptions OutcomeJson = new(JsonSerializerDefaults.Web);

    private sealed record PlannedColumn(string Name, string Header, ColumnType Type, FieldDefinition? Field)
    {
        public HashSet<string>? Allowed { get; } = Field?.Enum is { } values ? new HashSet<string>(values, StringComparer.Ordinal) : null;

        public BooleanValues Booleans { get; } = BooleanValues.From(Field?.TrueValues, Field?.FalseValues);

        public Regex? Pattern { get; } = Field?.Pattern is { } p ? new Regex($"^(?:{p})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null;

        public string Sql => $"{SqlNames.Quote(Name)} {ColumnTypes.PostgresName(Type)}";
    }

    public async Task<LoadOutcome> Load(LoadRequest request, CancellationToken ct)
    {
        var columns = request.Definition is { Fields.Count: > 0 } definition ? Declared(definition) : await Infer(request, ct);
        var schema = WorkspaceDatabase.SchemaFor(request.Wsid);
        var mode = request.Definition?.Mode ?? LoadMode.Replace;

        await using var connection = await database.Open(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Execute(connection, "select pg_advisory_xact_lock(hashtext($1))", ct, $"{schema}.{request.Table}");
        if (await Recorded(connection, request.LoadKey, ct) is { } done)
            return done;

        await Execute(connection, $"create schema if not exists {SqlNames.Quote(schema)}", ct);
        var table = Qualified(schema, request.Table);
        var exists = await ExistingColumns(connection, schema, request.Table, ct);
        long rowsAdded;
        try
        {
            if (mode == LoadMode.Append && exists.Count > 0)
            {
                RequireSameColumns(request, exists, columns);
                rowsAdded = await Copy(connection, table, columns, request, ct);
            }
            else
            {
                var staging = mode == LoadMode.Append ? request.Table : $"_inlet_load_{Guid.NewGuid():N}";
                await Execute(connection, $"create table {Qualified(schema, staging)} ({string.Join(", ", columns.Select(c => c.Sql))})", ct);
                rowsAdded = await Copy(connection, Qualified(schema, staging), columns, request, ct);
                if (staging != request.Table)
                {
                    await Execute(connection, $"drop table if exists {table}", ct);
                    await Execute(connection, $"alter table {Qualified(schema, staging)} rename to {SqlNames.Quote(request.Table)}", ct);
                }
                await AddKeys(connection, table, columns, request.Definition, ct);
            }
        }
        catch (PostgresException e) when (IsTheDatasFault(e))
        {
            throw new TableLoadException(Explain(request.Source, e));
        }

        await Comment(connection, schema, request.Table, null, request.Definition?.Description, ct);
        foreach (var column in columns)
            await Comment(connection, schema, request.Table, column.Name, column.Field?.Description ?? column.Field?.Title ?? column.Header, ct);
        var rows = mode == LoadMode.Append ? await CountRows(connection, table, ct) : rowsAdded;

        var described = columns.Select(c => new TableColumn(c.Name, ColumnTypes.PostgresName(c.Type), c.Field?.Title, c.Field?.Description ?? c.Header)).ToList();
        var outcome = new LoadOutcome(0, described, rows, rowsAdded, mode == LoadMode.Append ? "append" : "replace",
            request.Definition?.Title, request.Definition?.Description);
        await using var record = new NpgsqlCommand(
            $"insert into {WorkspaceDatabase.Bookkeeping}.loads (load_key, wsid, table_name, outcome) values ($1, $2, $3, $4::jsonb) returning sequence", connection);
        record.Parameters.Add(new() { Value = request.LoadKey });
        record.Parameters.Add(new() { Value = request.Wsid });
        record.Parameters.Add(new() { Value = request.Table });
        record.Parameters.Add(new() { Value = JsonSerializer.Serialize(outcome, OutcomeJson) });
        var sequence = (long)(await record.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        return outcome with { Sequence = sequence };
    }

    private static List<PlannedColumn> Declared(TableDefinition definition)
    {
        var names = SqlNames.Columns(definition.Fields.Select(f => f.Name).ToList());
        return definition.Fields.Select((f, i) => new PlannedColumn(names[i], f.Name, f.Type, f)).ToList();
    }

    /// <summary>Reads the whole file once: every value counts, so a late outlier cannot break the load.</summary>
    private static async Task<List<PlannedColumn>> Infer(LoadRequest request, CancellationToken ct)
    {
        await using var reader = await OpenCsv(request, ct);
        var missing = (request.Definition?.MissingValues ?? request.MissingValues).ToHashSet(StringComparer.Ordinal);
        var first = await ReadHeader(reader, request.Source, ct);
        var headerless = request.Definition?.Header == false;
        var headers = headerless ? first.Select((_, i) => $"column_{i + 1}").ToList() : first;
        var inference = headers.Select(_ => new ColumnTypeInference()).ToArray();
        void Observe(IReadOnlyList<string> fields)
        {
            for (var i = 0; i < fields.Count; i++)
                if (!missing.Contains(fields[i]))
                    inference[i].Observe(fields[i]);
        }
        if (headerless)
            Observe(first);
        await ForEachRecord(reader, request.Source, headers.Count, Observe, ct);
        var names = SqlNames.Columns(headers);
        return headers.Select((h, i) => new PlannedColumn(names[i], h, inference[i].Result, null)).ToList();
    }

    /// <summary>The CSV as the metadata describes it: its delimiter, quote and (converted to UTF-8) encoding.</summary>
    private static async Task<CsvRecordReader> OpenCsv(LoadRequest request, CancellationToken ct)
    {
        var definition = request.Definition;
        var stream = await request.Open(ct);
        if (definition?.Encoding is { } name && !IsUtf8(name))
            stream = System.Text.Encoding.CreateTranscodingStream(stream, System.Text.Encoding.GetEncoding(name), System.Text.Encoding.UTF8);
        return new CsvRecordReader(stream, new CsvReaderOptions { Delimiter = definition?.Delimiter, Quote = definition?.Quote ?? '"' });
    }

    private static bool IsUtf8(string encoding) => encoding.Replace("-", "").Equals("utf8", StringComparison.OrdinalIgnoreCase);

    private static async Task<IReadOnlyList<string>> ReadHeader(CsvRecordReader reader, string source, CancellationToken ct)
    {
        try
        {
            if (!await reader.ReadAsync(ct))
                throw new TableLoadException($"{source} is empty: its first line must be a header naming the columns.");
            return reader.Fields.ToList();
        }
        catch (CsvFormatException e)
        {
            throw new TableLoadException($"{source}: {e.Message}");
        }
    }

    private static async Task ForEachRecord(CsvRecordReader reader, string source, int width, Action<IReadOnlyList<string>> each, CancellationToken ct)
    {
        try
        {
            while (await reader.ReadAsync(ct))
            {
                if (reader.Fields.Count != width)
                    throw new TableLoadException(
                        $"{source}, line {reader.Line}: the row has {reader.Fields.Count} values but the header has {width} columns. Every row needs exactly one value per column (quote values that contain '{reader.Delimiter}').");
                each(reader.Fields);
            }
        }
        catch (CsvFormatException e)
        {
            throw new TableLoadException($"{source}: {e.Message}");
        }
    }

    private static async Task<long> Copy(NpgsqlConnection connection, string table, List<PlannedColumn> columns, LoadRequest request, CancellationToken ct)
    {
        var definition = request.Definition;
        var missing = (definition?.MissingValues ?? request.MissingValues).ToHashSet(StringComparer.Ordinal);
        await using var reader = await OpenCsv(request, ct);
        if (definition?.Header != false)
            RequireDeclaredHeader(request.Source, await ReadHeader(reader, request.Source, ct), columns);

        var types = columns.Select(c => DbType(c.Type)).ToArray();
        await using var importer = await connection.BeginBinaryImportAsync(
            $"copy {table} ({string.Join(", ", columns.Select(c => SqlNames.Quote(c.Name)))}) from stdin (format binary)", ct);
        await ForEachRecord(reader, request.Source, columns.Count, fields =>
        {
            importer.StartRow();
            for (var i = 0; i < fields.Count; i++)
            {
                var text = fields[i];
                var column = columns[i];
                if (missing.Contains(text))
                {
                    if (column.Field?.Required == true || definition?.PrimaryKey.Contains(column.Header) == true)
                        throw Bad(request.Source, reader.Line, i, column, text, "a value (the column is required)");
                    importer.WriteNull();
                    continue;
                }
                if (!ColumnValues.TryParse(column.Type, text, column.Field?.Format, column.Booleans, out var value, out var expected))
                    throw Bad(request.Source, reader.Line, i, column, text, expected);
                if (Violation(column, text, value) is { } rule)
                    throw Bad(request.Source, reader.Line, i, column, text, rule);
                importer.Write(value, types[i]);
            }
        }, ct);
        return (long)await importer.CompleteAsync(ct);
    }

    private static void RequireDeclaredHeader(string source, IReadOnlyList<string> header, List<PlannedColumn> columns)
    {
        if (columns.All(c => c.Field is null))
            return; // inferred from this very header
        if (header.Count != columns.Count)
            throw new TableLoadException(
                $"{source}: the header has {header.Count} columns but the metadata declares {columns.Count} fields ({string.Join(", ", columns.Select(c => c.Header))}).");
        for (var i = 0; i < header.Count; i++)
            if (!string.Equals(header[i].Trim(), columns[i].Header, StringComparison.OrdinalIgnoreCase))
                throw new TableLoadException(
                    $"{source}, line 1, column {i + 1}: the header says '{Shorten(header[i])}' but the metadata's field {i + 1} is '{columns[i].Header}'. Fields must be declared in the file's column order.");
    }

    private static string? Violation(PlannedColumn column, string text, object? value)
    {
        var field = column.Field;
        if (field is null)
            return null;
        if (column.Allowed is { } allowed && !allowed.Contains(text))
            return $"one of {string.Join(", ", allowed.Take(20).Select(a => $"'{a}'"))}";
        if (field.MinLength is { } minLength && text.Length < minLength)
            return $"at least {minLength} characters";
        if (field.MaxLength is { } maxLength && text.Length > maxLength)
            return $"at most {maxLength} characters";
        if (column.Pattern is { } pattern && !pattern.IsMatch(text))
            return $"text matching the pattern {field.Pattern}";
        var number = value switch { short s => s, int i => i, long l => l, decimal d => (decimal?)d, double f => (decimal)Math.Clamp(f, (double)decimal.MinValue, (double)decimal.MaxValue), _ => null };
        if (number is { } n && field.Minimum is { } min && n < min)
            return $"a number of at least {min}";
        if (number is { } m && field.Maximum is { } max && m > max)
            return $"a number of at most {max}";
        return null;
    }

    private static TableLoadException Bad(string source, long line, int index, PlannedColumn column, string value, string expected) =>
        new($"{source}, line {line}, column {index + 1} ('{column.Header}'): '{Shorten(value)}' is not valid; expected {expected}.");

    private static string Shorten(string value)
    {
        var printable = new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return printable.Length > 80 ? printable[..80] + "…" : printable;
    }

    private static void RequireSameColumns(LoadRequest request, IReadOnlyList<(string Name, string Type)> existing, List<PlannedColumn> columns)
    {
        var wanted = columns.Select(c => (c.Name, ColumnTypes.PostgresName(c.Type))).ToList();
        if (!existing.SequenceEqual(wanted))
            throw new TableLoadException(
                $"{request.Source}: cannot append to table '{request.Table}': it has columns ({Describe(existing)}) but the file has ({Describe(wanted)}). Use mode \"replace\" or make the columns match.");
    }

    private static string Describe(IEnumerable<(string Name, string Type)> columns) => string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"));

    private static async Task AddKeys(NpgsqlConnection connection, string table, List<PlannedColumn> columns, TableDefinition? definition, CancellationToken ct)
    {
        if (definition is null)
            return;
        string Name(string field) => columns.First(c => c.Header == field).Name;
        if (definition.PrimaryKey.Count > 0)
            await Execute(connection, $"alter table {table} add primary key ({string.Join(", ", definition.PrimaryKey.Select(f => SqlNames.Quote(Name(f))))})", ct);
        foreach (var column in columns.Where(c => c.Field?.Unique == true && !(definition.PrimaryKey is [var only] && only == c.Header)))
            await Execute(connection, $"alter table {table} add unique ({SqlNames.Quote(column.Name)})", ct);
    }

    /// <summary>Data and metadata problems are the uploader's to fix; a lost connection or a full disk is retried instead.</summary>
    private static bool IsTheDatasFault(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal) // data exception
        || e.SqlState.StartsWith("23", StringComparison.Ordinal) // integrity constraint (unique, not null)
        || e.SqlState == PostgresErrorCodes.TooManyColumns
        || e.SqlState == PostgresErrorCodes.DependentObjectsStillExist
        || e.SqlState == PostgresErrorCodes.DuplicateColumn;

    private static string Explain(string source, PostgresException e) => e.SqlState switch
    {
        PostgresErrorCodes.UniqueViolation =>
            $"{source}: values that must be unique are repeated — {e.Detail ?? e.MessageText} Each row needs its own key.",
        PostgresErrorCodes.TooManyColumns => $"{source}: too many columns; PostgreSQL tables hold at most 1,600.",
        PostgresErrorCodes.DependentObjectsStillExist =>
            $"{source}: the table cannot be replaced because other database objects (views) depend on it: {e.Detail ?? e.MessageText}",
        _ => $"{source}: the database refused the data: {e.MessageText}{(e.Detail is { } d ? " " + d : "")}",
    };

    private static NpgsqlDbType DbType(ColumnType type) => type switch
    {
        ColumnType.Boolean => NpgsqlDbType.Boolean,
        ColumnType.Integer => NpgsqlDbType.Integer,
        ColumnType.BigInt => NpgsqlDbType.Bigint,
        ColumnType.Numeric => NpgsqlDbType.Numeric,
        ColumnType.SmallInt => NpgsqlDbType.Smallint,
        ColumnType.Double => NpgsqlDbType.Double,
        ColumnType.Date => NpgsqlDbType.Date,
        ColumnType.Timestamp => NpgsqlDbType.Timestamp,
        ColumnType.TimestampTz => NpgsqlDbType.TimestampTz,
        ColumnType.Time => NpgsqlDbType.Time,
        _ => NpgsqlDbType.Text,
    };

    private static string Qualified(string schema, string table) => $"{SqlNames.Quote(schema)}.{SqlNames.Quote(table)}";

    private static async Task<LoadOutcome?> Recorded(NpgsqlConnection connection, string key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select sequence, outcome::text from {WorkspaceDatabase.Bookkeeping}.loads where load_key = $1", connection);
        command.Parameters.Add(new() { Value = key });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return JsonSerializer.Deserialize<LoadOutcome>(reader.GetString(1), OutcomeJson)! with { Sequence = reader.GetInt64(0) };
    }

    private static async Task<IReadOnlyList<(string Name, string Type)>> ExistingColumns(NpgsqlConnection connection, string schema, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position", connection);
        command.Parameters.Add(new() { Value = schema });
        command.Parameters.Add(new() { Value = table });
        var columns = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            columns.Add((reader.GetString(0), reader.GetString(1)));
        return columns;
    }

    private static async Task<long> CountRows(NpgsqlConnection connection, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select count(*) from {table}", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task Comment(NpgsqlConnection connection, string schema, string table, string? column, string? text, CancellationToken ct)
    {
        if (text is null)
            return;
        await Execute(connection, $"select {WorkspaceDatabase.Bookkeeping}.set_comment($1, $2, $3, $4)", ct, schema, table, column, text);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, params object?[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(parameter is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter { Value = parameter });
        await command.ExecuteNonQueryAsync(ct);
    }
}
