using System.Buffers;
using System.Data;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Inlet.BuildingBlocks.Text;
using Npgsql;
using NpgsqlTypes;

namespace Inlet.BuildingBlocks.Audit;

/// <summary>Reads the flat audit trail (audit.entries) straight from PostgreSQL, streaming every answer.</summary>
public sealed class AuditStore(NpgsqlDataSource db)
{
    private const string Columns = "seq, at, wsid, type, tid, upload, tbl, by, details::text, hash";

    /// <summary>
    /// The matching entries in seq order. With <paramref name="limit"/>, the page's seqs are picked first by a
    /// query that needs nothing but an index holding the filter's column and seq ((wsid, type, seq), (wsid, tid,
    /// seq) …), so PostgreSQL reads that index alone rather than walking every entry in seq order and
    /// filtering (which its estimate prefers when matching entries are few or bunched, e.g. `issued` entries
    /// after a cursor past them all: seconds at a million entries); only the page's rows are then read.
    /// </summary>
    private static NpgsqlCommand Select(NpgsqlConnection connection, string wsid, Guid? stream, AuditQuery q, SeqRange? range, int? limit, string columns = Columns)
    {
        var command = connection.CreateCommand();
        var where = new StringBuilder("wsid = @wsid");
        command.Parameters.AddWithValue("wsid", wsid);
        if (stream is { } s) { where.Append(" and stream = @stream"); command.Parameters.AddWithValue("stream", s); }
        // One type as a plain equality: PostgreSQL 15 reads (wsid, type, seq) in seq order only for `=`, not for
        // `= any(array)`, and otherwise walks (wsid, seq) filtering by type, which is slow when few entries match.
        if (q.Types is [var single]) { where.Append(" and type = @type"); command.Parameters.AddWithValue("type", single); }
        else if (q.Types is { Length: > 1 } types) { where.Append(" and type = any(@types)"); command.Parameters.AddWithValue("types", types); }
        if (q.Tid is { } tid) { where.Append(" and tid = @tid"); command.Parameters.AddWithValue("tid", tid); }
        if (q.By is { } by) { where.Append(" and by = @by"); command.Parameters.AddWithValue("by", by); }
        if (q.Upload is { } upload) { where.Append(" and upload = @upload"); command.Parameters.AddWithValue("upload", upload); }
        if (q.From is { } from) { where.Append(" and at >= @from"); command.Parameters.AddWithValue("from", from.UtcDateTime); }
        if (q.To is { } to) { where.Append(" and at < @to"); command.Parameters.AddWithValue("to", to.UtcDateTime); }
        if (range is { } r)
        {
            where.Append(" and seq >= @first and seq <= @last");
            command.Parameters.AddWithValue("first", r.First);
            command.Parameters.AddWithValue("last", r.Last);
        }
        if (q.After is { } after) { where.Append(q.Descending ? " and seq < @after" : " and seq > @after"); command.Parameters.AddWithValue("after", after); }
        var order = $"order by seq {(q.Descending ? "desc" : "asc")}";
        command.CommandText = limit is { } l
            ? $"select {columns} from {AuditSchema.Entries} where seq = any(array(select seq from {AuditSchema.Entries} where {where} {order} limit {l})) {order}"
            : $"select {columns} from {AuditSchema.Entries} where {where} {order}";
        return command;
    }

    /// <summary>The first and last seq an entry of the query's date range can have; First &gt; Last when no hour of the range holds one.</summary>
    private readonly record struct SeqRange(long First, long Last)
    {
        public static readonly SeqRange None = new(0, -1);
    }

    /// <summary>
    /// Exact bounds from audit.hour_starts (docs/adr/0018, revision 2026-12-03): an entry of an hour that overlaps
    /// [from, to) comes at or after its hour's first seq, and before the first seq of every later hour unless
    /// it was late, in which case audit.late_hours lists it. Null without a date filter.
    /// </summary>
    private static async Task<SeqRange?> DateRange(NpgsqlConnection connection, string wsid, AuditQuery q, CancellationToken ct)
    {
        if (q.From is null && q.To is null)
            return null;
        await using var command = connection.CreateCommand();
        command.Parameters.AddWithValue("wsid", wsid);
        if (q.From is { } from) command.Parameters.AddWithValue("from", from.UtcDateTime);
        if (q.To is { } to) command.Parameters.AddWithValue("to", to.UtcDateTime);
        // The hour an entry is filed under is its `at` truncated in UTC, so every hour that overlaps [from, to) counts.
        string Overlapping(string alias) =>
            $"{alias}wsid = @wsid"
            + (q.From is null ? "" : $" and {alias}hour >= date_trunc('hour', @from at time zone 'UTC')")
            + (q.To is null ? "" : $" and {alias}hour < (@to at time zone 'UTC')");
        var later = q.To is null ? "null::bigint" : $"(select min(first_seq) from {AuditSchema.Hours} where wsid = @wsid and hour >= (@to at time zone 'UTC'))";
        // The last late entry of each overlapping hour, one index probe per hour: max(seq) over the hours' late entries
        // read every one of them (33,000 for one day at the audit bench's scale: 12 ms of a 16 ms page; docs/performance.md).
        var lastLate = $"(select max(l.seq) from {AuditSchema.Hours} h cross join lateral (select x.seq from {AuditSchema.LateHours} x where x.wsid = h.wsid and x.hour = h.hour order by x.seq desc limit 1) l where {Overlapping("h.")})";
        command.CommandText = $"select (select min(first_seq) from {AuditSchema.Hours} where {Overlapping("")}), {later}, {lastLate}";
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        if (reader.IsDBNull(0))
            return SeqRange.None;
        var last = reader.IsDBNull(1) ? long.MaxValue : reader.GetInt64(1) - 1;
        if (!reader.IsDBNull(2))
            last = Math.Max(last, reader.GetInt64(2));
        return new SeqRange(reader.GetInt64(0), last);
    }

    /// <summary>One page: <c>{ "entries": [...], "next": seq | null }</c>; <c>next</c> is null on the last page.</summary>
    public async Task WritePage(Stream body, string wsid, Guid? stream, AuditQuery q, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var range = await DateRange(connection, wsid, q, ct);
        await using var command = Select(connection, wsid, stream, q, range, q.Limit + 1);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        await using var json = new Utf8JsonWriter(body);
        json.WriteStartObject();
        json.WriteStartArray("entries");
        long? last = null;
        var count = 0;
        var more = false;
        while (await reader.ReadAsync(ct))
        {
            if (count == q.Limit) { more = true; break; }
            last = WriteEntry(json, reader);
            count++;
        }
        json.WriteEndArray();
        if (more) json.WriteNumber("next", last!.Value); else json.WriteNull("next");
        json.WriteEndObject();
        await json.FlushAsync(ct);
    }

    /// <summary>Every matching entry, unpaged, as a JSON array, NDJSON or CSV; memory stays flat however many.</summary>
    public async Task WriteAll(Stream body, string wsid, Guid? stream, AuditQuery q, AuditFormat format, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var range = await DateRange(connection, wsid, q, ct);
        string[] keys = [];
        if (format == AuditFormat.Csv)
        {
            // CSV flattens details into one column per key: the keys are asked of PostgreSQL first, so the
            // Host never holds more than one row to know the header.
            await using var keyCommand = Select(connection, wsid, stream, q with { Descending = false }, range, null, "distinct jsonb_object_keys(details) as k");
            keyCommand.CommandText = keyCommand.CommandText.Replace(" order by seq asc", " order by 1");
            var found = new List<string>();
            await using (var keyReader = await keyCommand.ExecuteReaderAsync(ct))
                while (await keyReader.ReadAsync(ct))
                    found.Add(keyReader.GetString(0));
            keys = found.ToArray();
        }
        var columns = Columns + string.Concat(keys.Select((_, i) => $", details->>@k{i}"));
        await using var command = Select(connection, wsid, stream, q, range, null, columns);
        for (var i = 0; i < keys.Length; i++)
            command.Parameters.AddWithValue($"k{i}", NpgsqlDbType.Text, keys[i]);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        switch (format)
        {
            case AuditFormat.Csv:
                await WriteCsv(body, reader, keys, ct);
                break;
            case AuditFormat.Ndjson:
            {
                // One line per entry, gathered in a buffer and sent in pieces of about 32 KB.
                var buffer = new ArrayBufferWriter<byte>(64 * 1024);
                await using var json = new Utf8JsonWriter(buffer);
                while (await reader.ReadAsync(ct))
                {
                    WriteEntry(json, reader);
                    json.Flush();
                    buffer.Write("\n"u8);
                    json.Reset(buffer);
                    if (buffer.WrittenCount > 32 * 1024)
                    {
                        await body.WriteAsync(buffer.WrittenMemory, ct);
                        buffer.ResetWrittenCount();
                    }
                }
                await body.WriteAsync(buffer.WrittenMemory, ct);
                break;
            }
            default:
            {
                await using var json = new Utf8JsonWriter(body);
                json.WriteStartArray();
                while (await reader.ReadAsync(ct))
                {
                    WriteEntry(json, reader);
                    if (json.BytesPending > 32 * 1024)
                        await json.FlushAsync(ct);
                }
                json.WriteEndArray();
                await json.FlushAsync(ct);
                break;
            }
        }
    }

    private static long WriteEntry(Utf8JsonWriter json, NpgsqlDataReader r)
    {
        var seq = r.GetInt64(0);
        json.WriteStartObject();
        json.WriteNumber("seq", seq);
        json.WriteString("at", Instant(r.GetFieldValue<DateTime>(1)));
        json.WriteString("wsid", r.GetString(2));
        json.WriteString("type", r.GetString(3));
        WriteNullable(json, "tid", r, 4);
        WriteNullable(json, "upload", r, 5);
        WriteNullable(json, "table", r, 6);
        WriteNullable(json, "by", r, 7);
        json.WritePropertyName("details");
        json.WriteRawValue(r.GetString(8), skipInputValidation: true);
        json.WriteString("hash", r.GetString(9));
        json.WriteEndObject();
        return seq;
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, NpgsqlDataReader r, int i)
    {
        if (r.IsDBNull(i))
            json.WriteNull(name);
        else if (r.GetFieldType(i) == typeof(Guid))
            json.WriteString(name, r.GetGuid(i));
        else
            json.WriteString(name, r.GetString(i));
    }

    private static string Instant(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static async Task WriteCsv(Stream body, NpgsqlDataReader r, string[] keys, CancellationToken ct)
    {
        await using var writer = new StreamWriter(body, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        var header = new[] { "seq", "at", "wsid", "type", "tid", "upload", "table", "by", "hash" }.Concat(keys.Select(k => "details." + k));
        await writer.WriteAsync(string.Join(",", header.Select(Csv)) + "\r\n");
        var line = new StringBuilder();
        while (await r.ReadAsync(ct))
        {
            line.Clear();
            line.Append(r.GetInt64(0).ToString(CultureInfo.InvariantCulture)).Append(',');
            line.Append(Instant(r.GetFieldValue<DateTime>(1))).Append(',');
            line.Append(Csv(r.GetString(2))).Append(',');
            line.Append(Csv(r.GetString(3))).Append(',');
            for (var i = 4; i <= 7; i++)
                line.Append(r.IsDBNull(i) ? "" : Csv(r.GetFieldType(i) == typeof(Guid) ? r.GetGuid(i).ToString() : r.GetString(i))).Append(',');
            _ = r.GetString(8); // details as a whole: CSV has its keys as columns instead
            line.Append(r.GetString(9));
            for (var k = 0; k < keys.Length; k++)
                line.Append(',').Append(r.IsDBNull(10 + k) ? "" : Csv(r.GetString(10 + k)));
            line.Append("\r\n");
            await writer.WriteAsync(line, ct);
        }
        await writer.FlushAsync(ct);
    }

    /// <summary>RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with an apostrophe (<see cref="SpreadsheetText"/>).</summary>
    private static string Csv(string value)
    {
        value = SpreadsheetText.Cell(value);
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>Recomputes the workspace's hash chain in PostgreSQL (docs/adr/0018).</summary>
    public async Task<AuditVerification> Verify(string wsid, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        // Recomputing a million hashes takes 12-16 s on a quiet machine and more under load: past the 30 s
        // default, an auditor's check would fail as "connection lost". The caller's cancellation still ends it.
        command.CommandTimeout = 600;
        command.CommandText = $"""
            with c as (
              select seq, pos, hash, lag(pos) over w as prev_pos,
                     {AuditSchema.Name}.chain_hash(lag(hash) over w, {AuditSchema.Name}.canonical(pos, event, wsid, at, type, tid, upload, tbl, by, details)) as expected
              from {AuditSchema.Entries} where wsid = @wsid window w as (order by pos))
            select (select count(*) from c),
                   (select seq from c where pos <> coalesce(prev_pos, 0) + 1 or hash is distinct from expected order by pos limit 1),
                   (select case when pos <> coalesce(prev_pos, 0) + 1 then 'an entry before it is missing' else 'its content or hash was changed, or an entry before it was' end
                      from c where pos <> coalesce(prev_pos, 0) + 1 or hash is distinct from expected order by pos limit 1),
                   (select seq from c order by pos desc limit 1),
                   (select hash from c order by pos desc limit 1)
            """;
        command.Parameters.AddWithValue("wsid", wsid);
        await using var r = await command.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var count = r.GetInt64(0);
        var broken = r.IsDBNull(1) ? (long?)null : r.GetInt64(1);
        return new AuditVerification(broken is null, count,
            r.IsDBNull(3) ? null : new AuditChainHead(r.GetInt64(3), r.GetString(4)),
            broken is { } b ? new AuditChainBreak(b, r.GetString(2)) : null);
    }
}

public sealed record AuditVerification(
    [property: System.Text.Json.Serialization.JsonPropertyName("valid")] bool Valid,
    [property: System.Text.Json.Serialization.JsonPropertyName("entries")] long Entries,
    [property: System.Text.Json.Serialization.JsonPropertyName("head")] AuditChainHead? Head,
    [property: System.Text.Json.Serialization.JsonPropertyName("first_invalid")] AuditChainBreak? FirstInvalid);

public sealed record AuditChainHead(
    [property: System.Text.Json.Serialization.JsonPropertyName("seq")] long Seq,
    [property: System.Text.Json.Serialization.JsonPropertyName("hash")] string Hash);

public sealed record AuditChainBreak(
    [property: System.Text.Json.Serialization.JsonPropertyName("seq")] long Seq,
    [property: System.Text.Json.Serialization.JsonPropertyName("reason")] string Reason);
