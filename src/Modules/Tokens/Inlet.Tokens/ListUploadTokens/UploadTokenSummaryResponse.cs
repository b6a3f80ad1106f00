using System.Text.Json.Serialization;
using Inlet.Tokens.Contracts;

namespace Inlet.Tokens.ListUploadTokens;

/// <summary>What anyone in the workspace may see of a token: everything but the secret.</summary>
public sealed record UploadTokenSummaryResponse(
    [property: JsonPropertyName("tid")] Guid Tid,
    [property: JsonPropertyName("wsid")] string Wsid,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("created_by")] string CreatedBy,
    [property: JsonPropertyName("date")] DateTimeOffset Date,
    [property: JsonPropertyName("valid_from")] DateTimeOffset ValidFrom,
    [property: JsonPropertyName("valid_to")] DateTimeOffset ValidTo,
    [property: JsonPropertyName("destination")] UploadDestination Destination,
    [property: JsonPropertyName("status")] TokenStatus Status,
    [property: JsonPropertyName("files_received")] long FilesReceived,
    [property: JsonPropertyName("bytes_received")] long BytesReceived,
    [property: JsonPropertyName("last_used_at")] DateTimeOffset? LastUsedAt,
    [property: JsonPropertyName("archived_at")] DateTimeOffset? ArchivedAt = null,
    [property: JsonPropertyName("max_bytes")] long? MaxBytes = null,
    [property: JsonPropertyName("max_files")] int? MaxFiles = null,
    [property: JsonPropertyName("allowed_patterns")] IReadOnlyList<string>? AllowedPatterns = null,
    [property: JsonPropertyName("exhausted_at")] DateTimeOffset? ExhaustedAt = null,
    [property: JsonPropertyName("exhausted_reason")] string? ExhaustedReason = null)
{
    public static UploadTokenSummaryResponse From(UploadTokenSummary s, DateTimeOffset now) => new(
        s.Id, s.Wsid, s.Reason, s.CreatedBy, s.Date, s.ValidFrom, s.ValidTo, s.Destination,
        s.StatusAt(now), s.FilesReceived, s.BytesReceived, s.LastUsedAt, s.ArchivedAt,
        s.Quota?.MaxBytes, s.Quota?.MaxFiles, s.Quota?.AllowedPatterns ?? [], s.ExhaustedAt, s.ExhaustedReason);
}
