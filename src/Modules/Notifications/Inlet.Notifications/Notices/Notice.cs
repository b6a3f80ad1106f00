using System.Security.Cryptography;
using System.Text;
using Inlet.Ingestion.Contracts;
using Inlet.Tokens.Contracts;

namespace Inlet.Notifications.Notices;

/// <summary>
/// One thing that happened in a workspace, as webhooks tell it: a CloudEvents type (without its <c>org.inlet.</c>
/// prefix), the subject (an upload's or a token's id, the unit deliveries are ordered by) and the data: ids, names,
/// sizes, states and reasons, never content, SAS URLs or tokens.
/// </summary>
public sealed record Notice(string Id, string Type, string Wsid, string Subject, DateTimeOffset Time, IReadOnlyDictionary<string, object?> Data);

/// <summary>The event types a webhook can ask for, and how each contract message becomes one (pure; tests/Inlet.Tests/Notifications).</summary>
public static class NoticeTypes
{
    public const string Prefix = "org.inlet.";
    public const string UploadRouted = "upload.routed";
    public const string UploadReviewNeeded = "upload.review_needed";
    public const string UploadRejected = "upload.rejected";
    public const string UploadBlocked = "upload.blocked";
    public const string TableLoaded = "table.loaded";
    public const string TableRefused = "table.refused";
    public const string TokenExpiring = "token.expiring";
    public const string TokenExpired = "token.expired";
    public const string TokenExhausted = "token.exhausted";

    public static readonly IReadOnlyList<string> All =
        [UploadRouted, UploadReviewNeeded, UploadRejected, UploadBlocked, TableLoaded, TableRefused, TokenExpiring, TokenExpired, TokenExhausted];

    public static Notice For(UploadOutcomeRecorded o)
    {
        var type = o.Outcome switch
        {
            UploadOutcome.Routed => UploadRouted,
            UploadOutcome.ReviewNeeded => UploadReviewNeeded,
            UploadOutcome.Rejected => UploadRejected,
            UploadOutcome.Blocked => UploadBlocked,
            UploadOutcome.Loaded => TableLoaded,
            UploadOutcome.Refused => TableRefused,
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.Outcome, "an outcome without a webhook event type"),
        };
        var data = new Dictionary<string, object?>
        {
            ["upload_id"] = o.UploadId,
            ["tid"] = o.Tid,
            ["wsid"] = o.Wsid,
            ["name"] = o.Name,
            ["size"] = o.Size,
            ["state"] = Inlet.BuildingBlocks.Text.EnumText.Name(o.Outcome),
            ["location"] = o.Location,
            ["reason"] = o.Reason,
            ["at"] = o.At,
        };
        if (o.Outcome == UploadOutcome.Loaded)
        {
            data["rows_loaded"] = o.RowsLoaded;
            data["rows_rejected"] = o.RowsRejected;
        }
        return Create(type, o.Wsid, o.UploadId.ToString(), o.At, data);
    }

    /// <summary>An expiry is told; a revocation is a member's own act and is not.</summary>
    public static Notice? For(UploadTokenClosed c) => c.Reason == UploadTokenClosedReason.Expired
        ? Create(TokenExpired, c.Wsid, c.Tid.ToString(), c.At, new Dictionary<string, object?> { ["tid"] = c.Tid, ["wsid"] = c.Wsid, ["state"] = "expired", ["at"] = c.At })
        : null;

    public static Notice For(UploadTokenExhausted x) =>
        Create(TokenExhausted, x.Wsid, x.Tid.ToString(), x.At,
            new Dictionary<string, object?> { ["tid"] = x.Tid, ["wsid"] = x.Wsid, ["state"] = "exhausted", ["reason"] = x.Reason, ["at"] = x.At });

    public static Notice For(UploadTokenExpiring x) =>
        Create(TokenExpiring, x.Wsid, x.Tid.ToString(), x.At,
            new Dictionary<string, object?> { ["tid"] = x.Tid, ["wsid"] = x.Wsid, ["state"] = "active", ["valid_to"] = x.ValidTo, ["at"] = x.At });

    /// <summary>The id is derived from what happened, so a contract message delivered twice is one event (and one delivery per webhook).</summary>
    private static Notice Create(string type, string wsid, string subject, DateTimeOffset at, Dictionary<string, object?> data) =>
        new(DerivedId($"{type}|{wsid}|{subject}|{at.UtcTicks}").ToString(), type, wsid, subject, at, data);

    /// <summary>A stable Guid for a text (the first 16 bytes of its SHA-256).</summary>
    public static Guid DerivedId(string text) => new(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
}
