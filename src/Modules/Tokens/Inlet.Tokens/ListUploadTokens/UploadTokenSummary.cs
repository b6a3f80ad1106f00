using Inlet.Tokens.Contracts;
using Inlet.Tokens.ExpireUploadToken;
using Inlet.Tokens.IssueUploadToken;
using Inlet.Tokens.RecordUsage;
using Inlet.Tokens.RevokeUploadToken;
using Marten.Events.Aggregation;

namespace Inlet.Tokens.ListUploadTokens;

/// <summary>
/// The read model behind the token listing, kept in step with each token's event stream. Read only: decisions
/// load the write model <see cref="UploadToken"/> instead (the architecture tests hold every handler to that).
/// </summary>
public sealed class UploadTokenSummary
{
    public Guid Id { get; set; }
    public string Wsid { get; set; } = "";
    public string Reason { get; set; } = "";
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset Date { get; set; }
    public DateTimeOffset ValidFrom { get; set; }
    public DateTimeOffset ValidTo { get; set; }
    public UploadDestination Destination { get; set; } = UploadDestination.Inbox;
    public string Container { get; set; } = "";

    /// <summary>The storage account of <see cref="Container"/> (docs/adr/0030); null for a token from before the landing account. Never listed.</summary>
    public string? Account { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? ExpiredAt { get; set; }
    public long FilesReceived { get; set; }
    public long BytesReceived { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>When the token's event stream was archived (docs/adr/0014-retention.md); null while live.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }

    /// <summary>Its limits (docs/adr/0028-upload-quotas.md); null for none.</summary>
    public UploadQuota? Quota { get; set; }

    /// <summary>When its quota was reached and its policy withdrawn; null while not.</summary>
    public DateTimeOffset? ExhaustedAt { get; set; }

    public string? ExhaustedReason { get; set; }

    public TokenStatus StatusAt(DateTimeOffset now) => UploadToken.StatusAt(RevokedAt, ExpiredAt, ValidTo, now, ExhaustedAt);
}

public sealed class UploadTokenSummaryProjection : SingleStreamProjection<UploadTokenSummary, Guid>
{
    public static UploadTokenSummary Create(UploadTokenIssued e) => new()
    {
        Id = e.Tid,
        Wsid = e.Wsid,
        Reason = e.Reason,
        CreatedBy = e.IssuedBy,
        Date = e.IssuedAt,
        ValidFrom = e.ValidFrom,
        ValidTo = e.ValidTo,
        Destination = e.Destination,
        Container = e.Container,
        Account = e.Account,
        Quota = e.Quota,
    };

    public static void Apply(UploadTokenUsed e, UploadTokenSummary s)
    {
        s.FilesReceived += e.Files;
        s.BytesReceived += e.Bytes;
        if (s.LastUsedAt is null || e.At > s.LastUsedAt)
            s.LastUsedAt = e.At;
    }

    public static void Apply(UploadTokenRevoked e, UploadTokenSummary s) => s.RevokedAt ??= e.At;

    public static void Apply(UploadTokenExpired e, UploadTokenSummary s) => s.ExpiredAt ??= e.At;

    public static void Apply(ExhaustUploadToken.UploadTokenQuotaExhausted e, UploadTokenSummary s)
    {
        s.ExhaustedAt ??= e.At;
        s.ExhaustedReason ??= e.Reason;
    }

    public static void Apply(ArchiveUploadToken.UploadTokenArchived e, UploadTokenSummary s) => s.ArchivedAt ??= e.At;
}
