using System.Text.Json.Serialization;
using System.Security.Claims;
using Inlet.BuildingBlocks.Audit;
using Inlet.BuildingBlocks.Auth;
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
    [property: JsonPropertyName("last_error")] string? LastError,
    [property: JsonPropertyName("rows_rejected")] long RowsRejected = 0);

public sealed record TableRowsResponse(
    [property: JsonPropertyName("columns")] IReadOnlyList<string> Columns,
    [property: JsonPropertyName("rows")] IReadOnlyList<object?[]> Rows);

public sealed record TableRejectResponse(
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("line")] long Line,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("raw")] string Raw);

/// <param name="Next">The cursor for the next page (pass it as <c>after</c>), or null on the last page.</param>
public sealed record TableRejectsResponse(
    [property: JsonPropertyName("table")] string Table,
    [property: JsonPropertyName("rows_rejected")] long RowsRejected,
    [property: JsonPropertyName("rejects")] IReadOnlyList<TableRejectResponse> Rejects,
    [property: JsonPropertyName("next")] long? Next);

public static class TableEndpoints
{
    public const int MaxRows = 1000;
    public const int DefaultRejects = 100;

    /// <summary>The rows of the table's file(s) that were not loaded, in file order, a page at a time.</summary>
    [WolverineGet("/api/workspaces/{wsid}/tables/{name}/rejects")]
    public static async Task<IResult> Rejects(string wsid, string name, long? after, int? limit, IQuerySession session, WorkspaceDatabase database,
        ClaimsPrincipal user, AccessAudit access, CancellationToken ct)
    {
        if (limit is < 1 or > MaxRows)
            return Results.Problem(Problems.Validation("limit", $"Give a limit from 1 to {MaxRows}."));
        if (after is < 0)
            return Results.Problem(Problems.Validation("after", "after is the seq of the last reject seen: a number of 0 or more."));
        var table = name.Length <= 63 ? await session.LoadAsync<WorkspaceTable>(WorkspaceTable.IdFor(wsid, name), ct) : null;
        if (table is not { Loaded: true })
            return Results.Problem(Problems.NotFound("table"));
        var size = limit ?? DefaultRejects;
        await access.Record(wsid, AccessAudit.TableRejectsRead, user.UserName(), new Dictionary<string, string?>
        {
            ["table"] = table.Name,
            ["after"] = (after ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["limit"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, ct);
        await using var connection = await database.Open(wsid, ct);
        await using var command = new NpgsqlCommand(
            $"select seq, source, line, reason, raw from {WorkspaceDatabase.Bookkeeping}.rejects where wsid = $1 and table_name = $2 and seq > $3 order by seq limit $4",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = wsid });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = after ?? 0L });
        command.Parameters.Add(new NpgsqlParameter { Value = size + 1 });
        var rejects = new List<TableRejectResponse>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                rejects.Add(new TableRejectResponse(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4)));
        var more = rejects.Count > size;
        if (more)
            rejects.RemoveAt(size);
        return Results.Json(new TableRejectsResponse(table.Name, table.RowsRejected, rejects, more ? rejects[^1].Seq : null));
    }

    [WolverineGet("/api/workspaces/{wsid}/tables")]
    public static async Task<IReadOnlyList<TableResponse>> Tables(string wsid, IQuerySession session, CancellationToken ct)
    {
        var tables = await session.Query<WorkspaceTable>().Where(t => t.Wsid == wsid && t.Loaded).OrderBy(t => t.Name).ToListAsync(ct);
        return tables.Select(t => new TableResponse(t.Name, t.Title, t.Description, t.Rows,
            t.Columns.Select(c => new TableColumnResponse(c.Name, c.Type, c.Title, c.Description)).ToList(),
            t.Source, t.Tid, t.LoadedAt, t.LastError, t.RowsRejected)).ToList();
    }

    [WolverineGet("/api/workspaces/{wsid}/tables/{name}/rows")]
    public static async Task<IResult> Rows(string wsid, string name, int? limit, IQuerySession session, WorkspaceDatabase database,
        ClaimsPrincipal user, AccessAudit access, CancellationToken ct)
    {
        if (limit is < 1 or > MaxRows)
            return Results.Problem(Problems.Validation("limit", $"Give a limit from 1 to {MaxRows}."));
        var table = name.Length <= 63 ? await session.LoadAsync<WorkspaceTable>(WorkspaceTable.IdFor(wsid, name), ct) : null;
        if (table is not { Loaded: true })
            return Results.Problem(Problems.NotFound("table"));
        await access.Record(wsid, AccessAudit.TableRowsRead, user.UserName(),
            new Dictionary<string, string?> { ["table"] = table.Name, ["limit"] = (limit ?? 100).ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct);

        await using var connection = await database.Open(wsid, ct);
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
