using System.Text.Json;
using Inlet.Tabular.Database;
using Inlet.Tabular.Loading;
using Npgsql;
using NpgsqlTypes;

namespace Inlet.Tabular.LoadTable;

/// <summary>What the CSV and the Parquet loader share: the load's record in the bookkeeping table, which database errors are the data's fault and how to say so, and the small SQL steps both take.</summary>
internal static class LoadRecords
{
    public static readonly JsonSerializerOptions OutcomeJson = new(JsonSerializerDefaults.Web);

    /// <summary>Data and metadata problems are the uploader's to fix; a lost connection or a full disk is retried instead.</summary>
    public static bool IsTheDatasFault(PostgresException e) =>
        e.SqlState.StartsWith("22", StringComparison.Ordinal) // data exception
        || e.SqlState.StartsWith("23", StringComparison.Ordinal) // integrity constraint (unique, not null)
        || e.SqlState == PostgresErrorCodes.TooManyColumns
        || e.SqlState == PostgresErrorCodes.DependentObjectsStillExist
        || e.SqlState == PostgresErrorCodes.DuplicateColumn;

    public static string Explain(string source, PostgresException e) => e.SqlState switch
    {
        PostgresErrorCodes.UniqueViolation =>
            $"{source}: values that must be unique are repeated — {e.Detail ?? e.MessageText} Each row needs its own key.",
        PostgresErrorCodes.TooManyColumns => $"{source}: too many columns; PostgreSQL tables hold at most 1,600.",
        PostgresErrorCodes.DependentObjectsStillExist =>
            $"{source}: the table cannot be replaced because other database objects (views) depend on it: {e.Detail ?? e.MessageText}",
        _ => $"{source}: the database refused the data: {e.MessageText}{(e.Detail is { } d ? " " + d : "")}",
    };

    public static string Qualified(string schema, string table) => $"{SqlNames.Quote(schema)}.{SqlNames.Quote(table)}";

    /// <summary>The outcome of a load already committed under this key (a redelivered message), or null.</summary>
    public static async Task<LoadOutcome?> Recorded(NpgsqlConnection connection, string key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select sequence, outcome::text from {WorkspaceDatabase.Bookkeeping}.loads where load_key = $1", connection);
        command.Parameters.Add(new() { Value = key });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return JsonSerializer.Deserialize<LoadOutcome>(reader.GetString(1), OutcomeJson)! with { Sequence = reader.GetInt64(0) };
    }

    /// <summary>
    /// Loads of one table take turns on its row of <c>inlet_tabular.table_locks</c> in the workspace's own database: a lock
    /// no login can take (it has no privilege on that schema) and no other workspace can reach (docs/adr/0031).
    /// </summary>
    public static async Task LockTable(NpgsqlConnection connection, string table, CancellationToken ct)
    {
        await Execute(connection, $"insert into {WorkspaceDatabase.Bookkeeping}.table_locks (table_name) values ($1) on conflict do nothing", ct, table);
        await Execute(connection, $"select 1 from {WorkspaceDatabase.Bookkeeping}.table_locks where table_name = $1 for update", ct, table);
    }

    public static async Task<long> CountRows(NpgsqlConnection connection, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select count(*) from {table}", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public static async Task Comment(NpgsqlConnection connection, string schema, string table, string? column, string? text, CancellationToken ct)
    {
        if (text is null)
            return;
        await Execute(connection, $"select {WorkspaceDatabase.Bookkeeping}.set_comment($1, $2, $3, $4)", ct, schema, table, column, text);
    }

    public static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, params object?[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(parameter is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter { Value = parameter });
        await command.ExecuteNonQueryAsync(ct);
    }
}
