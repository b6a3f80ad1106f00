using Inlet.Ingestion.Contracts;
using Inlet.Ingestion.ReviewInbox;
using Inlet.Ingestion.Routing;

namespace Inlet.Ingestion.Notices;

/// <summary>
/// The one place that turns Ingestion's own outcome events into the public <see cref="UploadOutcomeRecorded"/>
/// (docs/adr/0029-webhooks.md): each handler that appends an outcome publishes what this answers through the outbox of
/// the same transaction, so a notice goes out exactly when its outcome is on record. Pure, tested without a host.
/// </summary>
public static class UploadNotices
{
    /// <summary>The notices for <paramref name="events"/> appended to <paramref name="record"/>'s stream, in their order.</summary>
    public static IEnumerable<UploadOutcomeRecorded> For(UploadRecord record, IEnumerable<object> events)
    {
        foreach (var e in events)
            if (For(record, e) is { } notice)
                yield return notice;
    }

    public static UploadOutcomeRecorded? For(UploadRecord record, object e) => e switch
    {
        UploadRouted { AwaitingApproval: true } r => Notice(record, UploadOutcome.ReviewNeeded, r.Location, null, r.At),
        UploadRouted r when r.Location.StartsWith(UploadRecordProjection.TableLocationPrefix, StringComparison.Ordinal) =>
            Notice(record, UploadOutcome.Loaded, r.Location, null, r.At) with { RowsLoaded = r.RowsLoaded, RowsRejected = r.RowsRejected },
        UploadRouted r => Notice(record, UploadOutcome.Routed, r.Location, null, r.At),
        UploadRejected r => Notice(record, UploadOutcome.Rejected, null, r.Reason, r.At),
        DatabaseUploadRefused r => Notice(record, UploadOutcome.Refused, r.KeptAt, r.Reason, r.At),
        UploadBlockedByScan b => Notice(record, UploadOutcome.Blocked, null, $"The malware scan matched {b.Signature}", b.At),
        UploadApproved a => Notice(record, UploadOutcome.Routed, record.Location, null, a.At),
        UploadRejectedByReviewer r => Notice(record, UploadOutcome.Rejected, null, $"Rejected by {r.By}: {r.Reason}", r.At),
        _ => null,
    };

    private static UploadOutcomeRecorded Notice(UploadRecord record, UploadOutcome outcome, string? location, string? reason, DateTimeOffset at) =>
        new(record.Id, record.Tid, record.Wsid, record.Name, record.Size, outcome, location, reason, at);
}
