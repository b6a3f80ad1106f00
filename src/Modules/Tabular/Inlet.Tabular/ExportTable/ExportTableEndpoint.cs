using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using System.Security.Claims;
using Inlet.BuildingBlocks.Audit;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Tabular.Catalogue;
using Inlet.Tabular.Database;
using Inlet.Tabular.Loading;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.Metadata;
using Marten;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Wolverine.Http;

namespace Inlet.Tabular.ExportTable;

/// <summary>
/// A loaded table back as files: the CSV, its XML DatasetDefinition and its Table Schema, such that
/// uploading the raw CSV (<c>raw=true</c>) with either definition through a database token recreates the same table.
/// The CSV is spreadsheet-safe by default (docs/adr/0033): a person opening the download runs no formula a value holds.
/// </summary>
public static class ExportTableEndpoint
{
    [WolverineGet("/api/workspaces/{wsid}/tables/{name}/export")]
    public static async Task<IResult> Export(string wsid, string name, string? format, string? raw, IQuerySession session, WorkspaceDatabase database,
        ClaimsPrincipal user, AccessAudit access, CancellationToken ct)
    {
        if (format is not ("csv" or "xml" or "schema"))
            return Results.Problem(Problems.Validation("format", "Give format=csv (the rows), format=xml (a DatasetDefinition) or format=schema (a Frictionless Table Schema)."));
        // Anything but true or false is refused rather than read as the safe form: a script asking for exact values must not get altered ones.
        if (raw is not (null or "true" or "false") || (raw is not null && format != "csv"))
            return Results.Problem(Problems.Validation("raw",
                "Give raw=true with format=csv for the values exactly as stored (to load back); without it (or raw=false) the CSV is safe to open in a spreadsheet."));
        var table = name.Length <= SqlNames.MaxIdentifierBytes ? await session.LoadAsync<WorkspaceTable>(WorkspaceTable.IdFor(wsid, name), ct) : null;
        if (table is not { Loaded: true })
            return Results.Problem(Problems.NotFound("table"));
        var what = new Dictionary<string, string?> { ["table"] = table.Name, ["format"] = format };
        var exact = raw == "true";
        if (exact)
            what["raw"] = "true"; // only then, so that other exports' entries read as before
        await access.Record(wsid, AccessAudit.TableExported, user.UserName(), what, ct);
        return format switch
        {
            "xml" => Results.Text(DatasetDefinition(table).ToString(), "application/xml", System.Text.Encoding.UTF8),
            "schema" => Results.Text(TableSchema(table).ToJsonString(new JsonSerializerOptions { WriteIndented = true }), "application/json", System.Text.Encoding.UTF8),
            _ => new CsvExport(database, wsid, table, spreadsheetSafe: !exact),
        };
    }

    /// <summary>
    /// The columns whose values the spreadsheet-safe CSV guards: all but numbers, dates, times and booleans, whose text
    /// PostgreSQL writes and a spreadsheet reads as the value (a negative number keeps its minus sign).
    /// </summary>
    public static IReadOnlyList<bool> SpreadsheetGuarded(WorkspaceTable table) =>
        table.Columns.Select(c => !(ColumnTypes.TryDeclared(c.Type, out var type) && type is ColumnType.Boolean or ColumnType.SmallInt or ColumnType.Integer
            or ColumnType.BigInt or ColumnType.Numeric or ColumnType.Double or ColumnType.Real or ColumnType.Date or ColumnType.Timestamp
            or ColumnType.TimestampTz or ColumnType.Time)).ToList();

    public static XElement DatasetDefinition(WorkspaceTable table) =>
        new("DatasetDefinition",
            new XAttribute("TableName", table.Name),
            new XAttribute("Action", "create"),
            table.Title is null ? null : new XElement("Title", table.Title),
            table.Description is null ? null : new XElement("Description", table.Description),
            new XElement("Source", table.Source),
            new XElement("Columns", table.Columns.Select(c => new XElement("Column",
                new XAttribute("Name", c.Name),
                new XAttribute("Type", c.Type),
                c.Title is null ? null : new XAttribute("Label", c.Title),
                c.Description is null ? null : new XAttribute("Description", c.Description)))));

    public static JsonObject TableSchema(WorkspaceTable table)
    {
        var fields = new JsonArray();
        foreach (var column in table.Columns)
        {
            var field = new JsonObject { ["name"] = column.Name, ["type"] = FrictionlessType(column.Type), [TableSchemaParser.PostgresTypeProperty] = column.Type };
            if (column.Title is not null)
                field["title"] = column.Title;
            if (column.Description is not null)
                field["description"] = column.Description;
            fields.Add(field);
        }
        var schema = new JsonObject { ["name"] = table.Name };
        if (table.Title is not null)
            schema["title"] = table.Title;
        if (table.Description is not null)
            schema["description"] = table.Description;
        schema["fields"] = fields;
        return schema;
    }

    private static string FrictionlessType(string postgresType) => ColumnTypes.TryDeclared(postgresType, out var type)
        ? type switch
        {
            ColumnType.Boolean => "boolean",
            ColumnType.SmallInt or ColumnType.Integer or ColumnType.BigInt => "integer",
            ColumnType.Numeric or ColumnType.Double or ColumnType.Real => "number",
            ColumnType.Date => "date",
            ColumnType.Timestamp or ColumnType.TimestampTz => "datetime",
            ColumnType.Time => "time",
            _ => "string",
        }
        : "string";

    /// <summary>
    /// Streams PostgreSQL's own CSV output to the client, through <see cref="SpreadsheetSafeCsv"/> unless the raw form was
    /// asked for: memory stays flat whatever the table's size.
    /// </summary>
    private sealed class CsvExport(WorkspaceDatabase database, string wsid, WorkspaceTable table, bool spreadsheetSafe) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            var ct = context.RequestAborted;
            await using var connection = await database.Open(wsid, ct);
            // Instants in UTC with their offset, booleans as true/false: text the upload side reads back exactly.
            await using (var zone = new NpgsqlCommand("set time zone 'UTC'; set datestyle to 'ISO, YMD'", connection))
                await zone.ExecuteNonQueryAsync(ct);
            var columns = table.Columns.Select(c => c.Type == "boolean"
                ? $"case when {SqlNames.Quote(c.Name)} then 'true' when not {SqlNames.Quote(c.Name)} then 'false' end as {SqlNames.Quote(c.Name)}"
                : SqlNames.Quote(c.Name));
            var sql = $"copy (select {string.Join(", ", columns)} from {SqlNames.Quote(WorkspaceDatabase.SchemaFor(wsid))}.{SqlNames.Quote(table.Name)}) to stdout (format csv, header)";
            context.Response.ContentType = "text/csv; charset=utf-8";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{table.Name}.csv\"";
            using var export = await connection.BeginTextExportAsync(sql, ct);
            await using var body = new StreamWriter(context.Response.Body, new System.Text.UTF8Encoding(false), 64 * 1024);
            var buffer = new char[32 * 1024];
            var safe = spreadsheetSafe ? new SpreadsheetSafeCsv(SpreadsheetGuarded(table)) : null;
            var output = safe is null ? buffer : new char[SpreadsheetSafeCsv.MaxOutput(buffer.Length)];
            int read;
            while ((read = await export.ReadAsync(buffer, ct)) > 0)
                await body.WriteAsync(output.AsMemory(0, safe is null ? read : safe.Transform(buffer.AsSpan(0, read), output)), ct);
        }
    }
}
