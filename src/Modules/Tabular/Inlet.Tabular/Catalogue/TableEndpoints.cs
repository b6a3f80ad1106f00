using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Http;
using Inlet.Tabular.Database;
using Inlet.Tabular.Loading;
using Marten;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Wolverine.Http;

namespace Inlet.Tabular.Catalogue;

public sealed record TableColumnResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("description")] string? Description);

public sealed record TableResponse(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("columns")] IReadOnlyList<TableColumnResponse> Columns,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("tid")] Guid Tid,
    [property: JsonPropertyName("loaded_at")] DateTimeOffset LoadedAt,
    [property: JsonPropertyName("last_error")] string? LastError);

public sealed record TableRowsResponse(
    [property: JsonPropertyName("columns")] IReadOnlyList<string> Columns,
    [property: JsonPropertyName("rows")] IReadOnlyList<object?[]> Rows);

public static class TableEndpoints
{
    public const int MaxRows = 1000;

    [WolverineGet("/api/workspaces/{wsid}/tables")]
    public static async Task<IReadOnlyList<TableResponse>> Tables(string wsid, IQuerySession session, CancellationToken ct)
    {
        var tables = await session.Query<WorkspaceTable>().Where(t => t.Wsid == wsid && t.Loaded).OrderBy(t => t.Name).ToListAsync(ct);
        return tables.Select(t => new TableResponse(t.Name, t.Title, t.Description, t.Rows,
            t.Columns.Select(c => new TableColumnResponse(c.Name, c.Type, c.Title, c.Description)).ToList(),
            t.Source, t.Tid, t.LoadedAt, t.LastError)).ToList();
    }

    [WolverineGet("/api/workspaces/{wsid}/tables/{name}/rows")]
    public static async Task<IResult> Rows(string wsid, string name, int? limit, IQuerySession session, WorkspaceDatabase database, CancellationToken ct)
    {
        if (limit is < 1 or > MaxRows)
            return Results.Problem(Problems.Validation("limit", $"Give a limit from 1 to {MaxRows}."));
        var table = name.Length <= 63 ? await session.LoadAsync<WorkspaceTable>(WorkspaceTable.IdFor(wsid, name), ct) : null;
        if (table is not { Loaded: true })
            return Results.Problem(Problems.NotFound("table"));

        await using var connection = await database.Open(ct);
        var columns = table.Columns.Select(c => c.Name).ToList();
        await using var command = new NpgsqlCommand(
            $"select {string.Join(", ", columns.Select(SqlNames.Quote))} from {SqlNames.Quote(WorkspaceDatabase.SchemaFor(wsid))}.{SqlNames.Quote(table.Name)} limit $1",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = limit ?? 100 });
        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return Results.Json(new TableRowsResponse(columns, rows));
    }
}
