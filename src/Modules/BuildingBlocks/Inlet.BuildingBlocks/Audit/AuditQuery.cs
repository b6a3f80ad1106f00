using System.Globalization;
using Inlet.BuildingBlocks.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Inlet.BuildingBlocks.Audit;

public enum AuditFormat { Json, Csv, Ndjson }

/// <summary>
/// A question to the flat audit trail: filters, the cursor (<c>after</c> = the last <c>seq</c> seen), page
/// size and order. <see cref="Paged"/> is false only for a request with no parameter at all, which keeps
/// the v1 answer of shared/api.md: the whole trail as one array (docs/adr/0018).
/// </summary>
public sealed record AuditQuery(
    string[]? Types, Guid? Tid, string? By, Guid? Upload, DateTimeOffset? From, DateTimeOffset? To,
    long? After, int Limit, bool Descending, AuditFormat Format, bool Paged)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static readonly string[] Parameters = ["type", "tid", "by", "upload", "from", "to", "after", "limit", "order", "format"];

    /// <summary>Reads the query string; a bad value is a problem naming the field.</summary>
    public static (AuditQuery? Query, ProblemDetails? Problem) Parse(IQueryCollection q, params string[] refused)
    {
        foreach (var key in q.Keys)
        {
            if (!Parameters.Contains(key) || refused.Contains(key))
                return (null, Problems.Validation(key, $"'{key}' is not a parameter here; use {string.Join(", ", Parameters.Except(refused))}."));
            if (q[key].Count > 1)
                return (null, Problems.Validation(key, $"Give '{key}' once."));
        }
        string? Text(string key) => q.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

        string[]? types = Text("type")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (types is { Length: > 20 } || types?.Any(t => t.Length > 64) == true)
            return (null, Problems.Validation("type", "At most 20 comma-separated event types of up to 64 characters."));

        Guid? tid = null, upload = null;
        if (Text("tid") is { } t)
        {
            if (!Guid.TryParse(t, out var value))
                return (null, Problems.Validation("tid", "'tid' must be a token id (a UUID)."));
            tid = value;
        }
        if (Text("upload") is { } u)
        {
            if (!Guid.TryParse(u, out var value))
                return (null, Problems.Validation("upload", "'upload' must be an upload id (a UUID)."));
            upload = value;
        }

        var by = Text("by");
        if (by is { Length: > 200 })
            return (null, Problems.Validation("by", "'by' is a user name of at most 200 characters."));

        DateTimeOffset? from = null, to = null;
        foreach (var (key, set) in new (string, Action<DateTimeOffset>)[] { ("from", v => from = v), ("to", v => to = v) })
        {
            if (Text(key) is not { } text)
                continue;
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
                return (null, Problems.Validation(key, $"'{key}' must be an ISO 8601 date or instant, e.g. 2026-11-22 or 2026-11-22T10:00:00Z."));
            set(value.ToUniversalTime());
        }
        if (from is not null && to is not null && from > to)
            return (null, Problems.Validation("to", "'to' must not be before 'from'."));

        long? after = null;
        if (Text("after") is { } a)
        {
            if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var afterValue))
                return (null, Problems.Validation("after", "'after' is the 'seq' of the last entry seen (the previous answer's 'next')."));
            after = afterValue;
        }

        var limit = DefaultLimit;
        if (Text("limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
            return (null, Problems.Validation("limit", $"'limit' must be a whole number from 1 to {MaxLimit} (default {DefaultLimit})."));

        var order = Text("order") ?? "asc";
        if (order is not ("asc" or "desc"))
            return (null, Problems.Validation("order", "'order' is 'asc' (oldest first, the default) or 'desc' (newest first)."));

        var format = AuditFormat.Json;
        if (Text("format") is { } f)
        {
            if (!Enum.TryParse(f, ignoreCase: true, out format) || f.Any(char.IsDigit))
                return (null, Problems.Validation("format", "'format' is 'json' (paged, the default), 'csv' or 'ndjson' (every matching entry)."));
        }

        var paged = q.Count > 0 && format == AuditFormat.Json;
        return (new AuditQuery(types, tid, by, upload, from, to, after, limit, order == "desc", format, paged), null);
    }
}
