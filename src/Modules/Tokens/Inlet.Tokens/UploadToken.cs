using Inlet.Tokens.ArchiveUploadToken;
using Inlet.Tokens.Contracts;
using Inlet.Tokens.ExhaustUploadToken;
using Inlet.Tokens.ExpireUploadToken;
using Inlet.Tokens.IssueUploadToken;
using Inlet.Tokens.RecordUsage;
using Inlet.Tokens.RevokeUploadToken;

namespace Inlet.Tokens;

/// <summary>What the listing says of a token at a moment; serialised as "active", "revoked", "expired".</summary>
public enum TokenStatus
{
    Active,
    Revoked,
    Expired,

    /// <summary>Its quota was reached (docs/adr/0028-upload-quotas.md): storage refuses further uploads.</summary>
    Exhausted,
}

/// <summary>
/// The write model of one upload token: only what its decisions need, rebuilt from the token's event stream
/// (live aggregation, so it can never disagree with the events). The listing (<see cref="ListUploadTokens.UploadTokenSummary"/>)
/// is a projection for reading only; no decision loads it.
/// </summary>
public sealed class UploadToken
{
    public Guid Id { get; set; }
    public string Wsid { get; set; } = "";
    public string Container { get; set; } = "";

    /// <summary>The storage account of <see cref="Container"/>; null for a token issued before the landing account (the workspace account).</summary>
    public string? Account { get; set; }
    public DateTimeOffset ValidTo { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? ExpiredAt { get; set; }
    public DateTimeOffset? ArchivedAt { get; set; }
    public DateTimeOffset? ExhaustedAt { get; set; }

    public bool IsClosed => RevokedAt is not null || ExpiredAt is not null;

    public DateTimeOffset? ClosedAt => RevokedAt ?? ExpiredAt;

    public static UploadToken Create(UploadTokenIssued e) => new() { Id = e.Tid, Wsid = e.Wsid, Container = e.Container, Account = e.Account, ValidTo = e.ValidTo };

    public void Apply(UploadTokenRevoked e) => RevokedAt ??= e.At;

    public void Apply(UploadTokenExpired e) => ExpiredAt ??= e.At;

    public void Apply(UploadTokenArchived e) => ArchivedAt ??= e.At;

    public void Apply(UploadTokenQuotaExhausted e) => ExhaustedAt ??= e.At;

    /// <summary>The status the listing shows; a token past valid_to is expired before its expiry has fired.</summary>
    /// <remarks>Exhausted before expired: it says why uploads stopped first (an exhausted token expires later as well).</remarks>
    public static TokenStatus StatusAt(DateTimeOffset? revokedAt, DateTimeOffset? expiredAt, DateTimeOffset validTo, DateTimeOffset now, DateTimeOffset? exhaustedAt = null) =>
        revokedAt is not null ? TokenStatus.Revoked
        : exhaustedAt is not null ? TokenStatus.Exhausted
        : expiredAt is not null || now >= validTo ? TokenStatus.Expired
        : TokenStatus.Active;
}

/// <summary>What issuing decided: the token's first event and the messages that go with it.</summary>
public sealed record IssuedToken(UploadTokenIssued Issued, ExpireUploadToken.ExpireUploadToken Expiry, UploadTokenActivated Activated);

/// <summary>
/// The token's decisions: pure functions of the token's state, the command and the time, so they are tested
/// without a host (tests/Inlet.Tokens.Tests). Storage and the event store are the handlers' load step and
/// Wolverine's (docs/adr/0024-a-frame-handlers.md).
/// </summary>
public static class UploadTokenDecisions
{
    /// <summary>The events and messages of issuing a validated request; the expiry is scheduled for valid_to.</summary>
    /// <param name="account">The storage account the token's container was provisioned in (the landing account).</param>
    public static IssuedToken Issue(Guid tid, string wsid, string issuedBy, ValidatedTokenRequest valid, DateTimeOffset now, string account)
    {
        var container = Storage.UploadTokenStorage.ContainerFor(tid);
        return new IssuedToken(
            new UploadTokenIssued(tid, wsid, valid.Reason, issuedBy, now, valid.ValidFrom, valid.ValidTo, valid.Destination, container, valid.Quota, account),
            new ExpireUploadToken.ExpireUploadToken(tid),
            new UploadTokenActivated(tid, wsid, container, valid.Destination, valid.ValidFrom, valid.ValidTo, valid.Quota, account));
    }

    /// <summary>Revoking an open token closes it; revoking a closed (or unknown) one changes nothing.</summary>
    public static (UploadTokenRevoked? Revoked, UploadTokenClosed? Closed) Revoke(UploadToken? token, string revokedBy, DateTimeOffset now) =>
        token is null || token.IsClosed
            ? (null, null)
            : (new UploadTokenRevoked(token.Id, revokedBy, now), new UploadTokenClosed(token.Id, token.Wsid, token.Container, UploadTokenClosedReason.Revoked, now, token.Account));

    /// <summary>An open token whose valid_to has come: its stored access policy is withdrawn before the expiry is recorded.</summary>
    public static bool IsDueToExpire(UploadToken? token, DateTimeOffset now) => token is { IsClosed: false } && now >= token.ValidTo;

    /// <summary>
    /// An expiry that fired: on a due token it records the expiry and announces the close; fired early (a clock
    /// disagreement between nodes) it is scheduled again for valid_to; on a closed or unknown token it does nothing.
    /// </summary>
    public static ExpiryDecision Expire(UploadToken? token, DateTimeOffset now)
    {
        if (token is null || token.IsClosed)
            return ExpiryDecision.Nothing;
        if (!IsDueToExpire(token, now))
            return new ExpiryDecision(null, null, token.ValidTo);
        return new ExpiryDecision(
            new UploadTokenExpired(token.Id, token.ValidTo, now),
            new UploadTokenClosed(token.Id, token.Wsid, token.Container, UploadTokenClosedReason.Expired, now, token.Account),
            null);
    }

    /// <summary>
    /// One <see cref="UploadTokenUsed"/> for the files of a batch not counted before; files claiming another
    /// workspace are ignored, a file offered twice is counted once. Null when nothing is new.
    /// </summary>
    public static UploadTokenUsed? RecordUsage(UploadToken? token, IEnumerable<RecordUploadTokenUsage> offered, IReadOnlySet<Guid> alreadyCounted, Guid usedId)
    {
        if (token is null)
            return null;
        var fresh = FreshUsage(token, offered, alreadyCounted);
        return fresh.Count == 0
            ? null
            : new UploadTokenUsed(token.Id, usedId, fresh.Sum(u => u.Files), fresh.Sum(u => u.Bytes), fresh.Max(u => u.At));
    }

    /// <summary>The offered files that count for <paramref name="token"/>: its workspace's, once each, not counted before.</summary>
    public static IReadOnlyList<RecordUploadTokenUsage> FreshUsage(UploadToken token, IEnumerable<RecordUploadTokenUsage> offered, IReadOnlySet<Guid> alreadyCounted) =>
        offered.Where(u => u.Tid == token.Id && u.Wsid == token.Wsid).DistinctBy(u => u.BatchId).Where(u => !alreadyCounted.Contains(u.BatchId)).ToList();

    /// <summary>Whether Ingestion's word that the quota is reached still has to take effect: an open token not yet exhausted.</summary>
    public static bool IsExhaustible(UploadToken? token) => token is { IsClosed: false, ExhaustedAt: null };

    /// <summary>
    /// Ingestion found the token's quota reached: an open token is recorded as exhausted (its policy withdrawn just
    /// before) and the fact announced; a closed, already exhausted or unknown one changes nothing, so a re-delivered
    /// message is a no-op.
    /// </summary>
    public static (UploadTokenQuotaExhausted? Exhausted, UploadTokenExhausted? Announced) Exhaust(UploadToken? token, MarkUploadTokenExhausted command) =>
        !IsExhaustible(token) || command.Wsid != token!.Wsid
            ? (null, null)
            : (new UploadTokenQuotaExhausted(token.Id, command.Reason, command.UsedBytes, command.UsedFiles, command.At),
                new UploadTokenExhausted(token.Id, token.Wsid, token.Container, command.Reason, command.At));

    /// <summary>A token closed at least <paramref name="archiveClosedAfter"/> ago is archived once; zero never archives.</summary>
    public static UploadTokenArchived? Archive(UploadToken? token, TimeSpan archiveClosedAfter, DateTimeOffset now) =>
        token is { ArchivedAt: null, ClosedAt: { } closedAt } && archiveClosedAfter > TimeSpan.Zero && now - closedAt >= archiveClosedAfter
            ? new UploadTokenArchived(token.Id, closedAt, now)
            : null;
}

/// <summary>What an expiry decided: an event and its announcement, or a new time to try, or nothing.</summary>
public sealed record ExpiryDecision(UploadTokenExpired? Expired, UploadTokenClosed? Closed, DateTimeOffset? RetryAt)
{
    public static readonly ExpiryDecision Nothing = new(null, null, null);
}
