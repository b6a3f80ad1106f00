using Inlet.Tabular.Loading;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Inlet.Tabular.Database;

/// <summary>
/// Moves a workspace's tables from the shared layout of Inlet before ADR 31 (schema <c>ws_&lt;wsid&gt;</c> of the home
/// database, bookkeeping rows in its <c>inlet_tabular.loads</c>/<c>rejects</c>) into the workspace's own database. Each table
/// is copied with its columns, types, constraints, indexes, comments and rows, and its bookkeeping rows, in one transaction
/// on the target, then dropped at the source: a crash leaves a table in one place or both, and a run again finishes it
/// (a table already in the target is only dropped at the source). The old schema goes last.
/// </summary>
internal static class LegacyTables
{
    private const string Book = WorkspaceDatabase.Bookkeeping;

    public static async Task<IReadOnlyList<string>> Schemas(NpgsqlConnection home, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(@"select nspname from pg_namespace where nspname like 'ws\_%' order by 1", home);
        var schemas = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            schemas.Add(reader.GetString(0));
        return schemas;
    }

    public static async Task<IReadOnlyList<string>> BookkeptWorkspaces(NpgsqlConnection home, CancellationToken ct)
    {
        if (!await HasOldBookkeeping(home, ct))
            return [];
        await using var command = new NpgsqlCommand($"select distinct wsid from {Book}.loads union select distinct wsid from {Book}.rejects", home);
        var found = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            found.Add(reader.GetString(0));
        return found;
    }

    public static async Task<bool> Present(NpgsqlConnection home, string wsid, CancellationToken ct)
    {
        await using (var schema = new NpgsqlCommand("select exists (select 1 from pg_namespace where nspname = $1)", home) { Parameters = { new() { Value = WorkspaceDatabase.SchemaFor(wsid) } } })
            if ((bool)(await schema.ExecuteScalarAsync(ct))!)
                return true;
        if (!await HasOldBookkeeping(home, ct))
            return false;
        await using var rows = new NpgsqlCommand($"select exists (select 1 from {Book}.loads where wsid = $1) or exists (select 1 from {Book}.rejects where wsid = $1)", home)
        {
            Parameters = { new() { Value = wsid } },
        };
        return (bool)(await rows.ExecuteScalarAsync(ct))!;
    }

    private static async Task<bool> HasOldBookkeeping(NpgsqlConnection home, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select to_regclass('{Book}.loads') is not null and to_regclass('{Book}.rejects') is not null", home);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    public static async Task Move(NpgsqlConnection home, NpgsqlConnection target, string wsid, ILogger logger, CancellationToken ct)
    {
        var schema = WorkspaceDatabase.SchemaFor(wsid);
        var book = await HasOldBookkeeping(home, ct);
        if (book)
            await ContinueSequences(home, target, ct);
        var tables = await Tables(home, schema, ct);
        foreach (var table in tables)
        {
            if (!table.StartsWith("_inlet_load_", StringComparison.Ordinal) && !await Exists(target, schema, table, ct))
                await Copy(home, target, wsid, schema, table, book, ct);
            // Copied (now or by an earlier run): gone from the source, with its bookkeeping rows, in one transaction.
            await using var tx = await home.BeginTransactionAsync(ct);
            await Run(home, $"drop table if exists {Qualified(schema, table)}", ct);
            if (book)
            {
                await Run(home, $"delete from {Book}.loads where wsid = $1 and table_name = $2", ct, wsid, table);
                await Run(home, $"delete from {Book}.rejects where wsid = $1 and table_name = $2", ct, wsid, table);
            }
            await tx.CommitAsync(ct);
        }
        if (book)
        {
            // Rows of tables no longer there (renamed by a later load): kept all the same, as the workspace's history.
            await using (var tx = await target.BeginTransactionAsync(ct))
            {
                await MoveRows(home, target, wsid, null, ct);
                await tx.CommitAsync(ct);
            }
            await Run(home, $"delete from {Book}.loads where wsid = $1", ct, wsid);
            await Run(home, $"delete from {Book}.rejects where wsid = $1", ct, wsid);
        }
        try
        {
            await Run(home, $"drop schema if exists {SqlNames.Quote(schema)}", ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DependentObjectsStillExist)
        {
            logger.LogWarning("The old schema {Schema} of the shared database still holds objects Inlet did not make (views, functions…), so it was left: {Detail}",
                schema, e.Detail ?? e.MessageText);
        }
        logger.LogInformation("Workspace {Wsid}: {Tables} table(s) moved from the shared database into its own (docs/adr/0031).", wsid, tables.Count);
    }

    /// <summary>
    /// New loads of the workspace must come after every load moved: the catalogue never lets an older load (a smaller
    /// sequence) overwrite a newer one, and rejects are paged by their seq.
    /// </summary>
    private static async Task ContinueSequences(NpgsqlConnection home, NpgsqlConnection target, CancellationToken ct)
    {
        foreach (var (table, column) in new[] { ("loads", "sequence"), ("rejects", "seq") })
        {
            long sourceLast;
            await using (var max = new NpgsqlCommand($"select coalesce(max({column}), 0) from {Book}.{table}", home))
                sourceLast = (long)(await max.ExecuteScalarAsync(ct))!;
            await using (var name = new NpgsqlCommand($"select pg_get_serial_sequence('{Book}.{table}', '{column}')", home))
                if (await name.ExecuteScalarAsync(ct) is string sequence)
                {
                    // The old sequence was shared by every workspace and never goes back: beyond it is beyond every moved row.
                    await using var value = new NpgsqlCommand($"select last_value from {sequence}", home);
                    sourceLast = Math.Max(sourceLast, (long)(await value.ExecuteScalarAsync(ct))!);
                }
            await Run(target, $"""
                select setval(pg_get_serial_sequence('{Book}.{table}', '{column}'),
                              greatest($1::bigint, (select coalesce(max({column}), 1) from {Book}.{table}), 1))
                """, ct, sourceLast);
        }
    }

    private static async Task Copy(NpgsqlConnection home, NpgsqlConnection target, string wsid, string schema, string table, bool book, CancellationToken ct)
    {
        var shape = await Describe(home, schema, table, ct);
        var qualified = Qualified(schema, table);
        await using var tx = await target.BeginTransactionAsync(ct);
        await Run(target, $"create schema if not exists {SqlNames.Quote(schema)}", ct);
        await Run(target, $"create table {qualified} ({string.Join(", ", shape.Columns.Select(c =>
            $"{SqlNames.Quote(c.Name)} {c.Type}{(c.Default is null ? "" : " default " + c.Default)}{(c.NotNull ? " not null" : "")}"))})", ct);
        var names = string.Join(", ", shape.Columns.Select(c => SqlNames.Quote(c.Name)));
        // Binary COPY from one database straight into the other: rows never pass through Inlet's memory as values.
        await using (var output = await home.BeginRawBinaryCopyAsync($"copy {qualified} ({names}) to stdout (format binary)", ct))
        await using (var input = await target.BeginRawBinaryCopyAsync($"copy {qualified} ({names}) from stdin (format binary)", ct))
            await output.CopyToAsync(input, ct);
        // Same schema name in the target, so PostgreSQL's own definitions apply there as they are.
        foreach (var (name, definition) in shape.Constraints)
            await Run(target, $"alter table {qualified} add constraint {SqlNames.Quote(name)} {definition}", ct);
        foreach (var index in shape.Indexes)
            await Run(target, index, ct);
        if (shape.Comment is { } comment)
            await Run(target, $"select {Book}.set_comment($1, $2, null, $3)", ct, schema, table, comment);
        foreach (var column in shape.Columns.Where(c => c.Comment is not null))
            await Run(target, $"select {Book}.set_comment($1, $2, $3, $4)", ct, schema, table, column.Name, column.Comment);
        if (book)
            await MoveRows(home, target, wsid, table, ct);
        await tx.CommitAsync(ct);
    }

    private sealed record Column(string Name, string Type, bool NotNull, string? Default, string? Comment);

    private sealed record Shape(List<Column> Columns, List<(string Name, string Definition)> Constraints, List<string> Indexes, string? Comment);

    private static async Task<Shape> Describe(NpgsqlConnection home, string schema, string table, CancellationToken ct)
    {
        var oid = $"(select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2)";
        var columns = new List<Column>();
        await using (var command = Command(home, $"""
            select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum)
            from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
            where a.attrelid = {oid} and a.attnum > 0 and not a.attisdropped order by a.attnum
            """, schema, table))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                columns.Add(new Column(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4)));
        var constraints = new List<(string, string)>();
        // Primary keys and unique constraints first (as a load adds them), checks after; foreign keys are made by no loader.
        await using (var command = Command(home, $"""
            select conname, pg_get_constraintdef(oid) from pg_constraint
            where conrelid = {oid} and contype in ('p', 'u', 'x', 'c') order by contype = 'c', contype <> 'p', conname
            """, schema, table))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                constraints.Add((reader.GetString(0), reader.GetString(1)));
        var indexes = new List<string>();
        await using (var command = Command(home, $"""
            select pg_get_indexdef(i.indexrelid) from pg_index i
            where i.indrelid = {oid} and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid)
            """, schema, table))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                indexes.Add(reader.GetString(0));
        await using var comment = Command(home, $"select obj_description({oid}, 'pg_class')", schema, table);
        return new Shape(columns, constraints, indexes, await comment.ExecuteScalarAsync(ct) as string);
    }

    /// <summary>The workspace's bookkeeping rows (of one table, or all that are left), through a temporary table so a run again adds none twice.</summary>
    private static async Task MoveRows(NpgsqlConnection home, NpgsqlConnection target, string wsid, string? table, CancellationToken ct)
    {
        var where = $"wsid = {SqlNames.Literal(wsid)}" + (table is null ? "" : $" and table_name = {SqlNames.Literal(table)}");
        foreach (var (name, columns, key) in new[]
        {
            ("loads", "load_key, sequence, wsid, table_name, outcome, loaded_at", "load_key"),
            ("rejects", "seq, wsid, table_name, load_key, source, line, reason, raw", "seq"),
        })
        {
            await Run(target, $"create temp table moving_{name} (like {Book}.{name}) on commit drop", ct);
            await using (var output = await home.BeginRawBinaryCopyAsync($"copy (select {columns} from {Book}.{name} where {where}) to stdout (format binary)", ct))
            await using (var input = await target.BeginRawBinaryCopyAsync($"copy moving_{name} ({columns}) from stdin (format binary)", ct))
                await output.CopyToAsync(input, ct);
            await Run(target, $"insert into {Book}.{name} ({columns}) select {columns} from moving_{name} on conflict ({key}) do nothing; drop table moving_{name}", ct);
        }
    }

    private static async Task<List<string>> Tables(NpgsqlConnection home, string schema, CancellationToken ct)
    {
        await using var command = Command(home, """
            select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = $1 and c.relkind in ('r', 'p') order by c.relname
            """, schema);
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            tables.Add(reader.GetString(0));
        return tables;
    }

    private static async Task<bool> Exists(NpgsqlConnection target, string schema, string table, CancellationToken ct)
    {
        await using var command = Command(target, "select to_regclass(format('%I.%I', $1::text, $2::text)) is not null", schema, table);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static string Qualified(string schema, string table) => $"{SqlNames.Quote(schema)}.{SqlNames.Quote(table)}";

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(parameter is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter { Value = parameter });
        return command;
    }

    private static async Task Run(NpgsqlConnection connection, string sql, CancellationToken ct, params object?[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(ct);
    }
}
