using Inlet.Ingestion.ReviewInbox;
using Marten.Events.Aggregation;

namespace Inlet.Ingestion.Routing;

/// <summary>One file a token delivered: the read model behind the uploads, inbox and files listings.</summary>
public sealed class UploadRecord
{
    public Guid Id { get; set; }
    public Guid Tid { get; set; }
    public string Wsid { get; set; } = "";
    public string Container { get; set; } = "";
    /// <summary>The blob's name as uploaded, or <see cref="Inlet.BuildingBlocks.Text.StoredName"/>'s form of it where <see cref="NameEncoded"/>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The name held U+0000 (PostgreSQL cannot keep it): <see cref="Name"/> is its stored form.</summary>
    public bool NameEncoded { get; set; }

    /// <summary>The blob's name in its token container, as storage knows it (a method: a property would be stored, U+0000 and all).</summary>
    public string BlobName() => NameEncoded ? Inlet.BuildingBlocks.Text.StoredName.Decode(Name) : Name;
    public string ETag { get; set; } = "";
    public long Size { get; set; }
    public string? Md5 { get; set; }
    public string RoutedTo { get; set; } = "";
    public string Location { get; set; } = "";
    public string Status { get; set; } = UploadStatus.Pending;
    public string? Error { get; set; }

    /// <summary>The malware scan: null where none applies (scanning off), else scanning, clean or blocked.</summary>
    public string? Scan { get; set; }

    /// <summary>For a blocked file: the signature the scanner matched.</summary>
    public string? ScanSignature { get; set; }

    /// <summary>Where the file's bytes can be read in the workspace (listed and downloadable), or null.</summary>
    public string? FilePath { get; set; }

    public DateTimeOffset? StagedAt { get; set; }

    /// <summary>For a CSV loaded into a table: rows loaded and rows not loaded (listed at the table's rejects).</summary>
    public long? RowsLoaded { get; set; }

    public long? RowsRejected { get; set; }

    /// <summary>How the database read the file, when a person should know.</summary>
    public string? Note { get; set; }

    /// <summary>When the file reached its place (table or file); null while it has not.</summary>
    public DateTimeOffset? RoutedAt { get; set; }

    /// <summary>Inbox review: null where none applies, else pending, approved or rejected.</summary>
    public string? Review { get; set; }

    public string? ReviewedBy { get; set; }

    /// <summary>Inbox review: each member's approval so far, oldest first (ADR 27).</summary>
    public List<ReviewApproval> Approvals { get; set; } = [];

    /// <summary>How many approvals the last approval was counted against; null before the first.</summary>
    public int? ApprovalsRequired { get; set; }

    /// <summary>When a rejected upload's kept bytes were deleted at the end of their retention; null while kept.</summary>
    public DateTimeOffset? PurgedAt { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>Counting this upload used up its token's quota; the outcome tells Tokens (ADR 28).</summary>
    public QuotaExhaustion? Exhausts { get; set; }
}

public static class UploadStatus
{
    public const string Pending = "pending";
    public const string Routed = "routed";
    public const string Rejected = "rejected";
}

public static class ScanState
{
    public const string Scanning = "scanning";
    public const string Clean = "clean";
    public const string Blocked = "blocked";
}

public static class ReviewState
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
}

public sealed class UploadRecordProjection : SingleStreamProjection<UploadRecord, Guid>
{
    /// <summary>A location such as <c>table:visits</c> names database tables, not a file.</summary>
    public const string TableLocationPrefix = "table:";

    public static UploadRecord Create(UploadReceived e) => new()
    {
        Id = e.UploadId,
        Tid = e.Tid,
        Wsid = e.Wsid,
        Container = e.Container,
        Name = e.BlobName,
        NameEncoded = e.NameEncoded,
        ETag = e.ETag,
        Size = e.Size,
        Md5 = e.Md5,
        RoutedTo = e.RoutedTo,
        Location = e.Location,
        Error = e.Note,
        Scan = e.Scan ? ScanState.Scanning : null,
        ReceivedAt = e.At,
        At = e.At,
        Exhausts = e.Exhausts,
    };

    public static void Apply(UploadScanned e, UploadRecord r) => r.Scan = ScanState.Clean;

    public static void Apply(UploadBlockedByScan e, UploadRecord r)
    {
        r.Status = UploadStatus.Rejected;
        r.Scan = ScanState.Blocked;
        r.ScanSignature = e.Signature;
        r.Error = $"Blocked by the malware scan: {e.Signature}. The file is kept in quarantine and cannot be downloaded or loaded.";
        r.Location = e.QuarantineLocation;
        r.FilePath = null;
        r.At = e.At;
    }

    /// <summary>Decided while scanning was on, routed after it was turned off: not scanned, and not shown as waiting.</summary>
    private static void Unscanned(UploadRecord r)
    {
        if (r.Scan == ScanState.Scanning)
            r.Scan = null;
    }

    public static void Apply(UploadRouted e, UploadRecord r)
    {
        Unscanned(r);
        r.Status = e.AwaitingApproval ? UploadStatus.Pending : UploadStatus.Routed;
        r.Review = e.AwaitingApproval ? ReviewState.Pending : r.Review;
        r.RoutedAt ??= e.At;
        r.Location = e.Location;
        r.FilePath = e.Location.StartsWith(TableLocationPrefix, StringComparison.Ordinal) ? null : e.Location;
        r.RowsLoaded = e.RowsLoaded ?? r.RowsLoaded;
        r.RowsRejected = e.RowsRejected ?? r.RowsRejected;
        r.Note = e.Note ?? (e.RowsLoaded is null ? r.Note : null);
        r.At = e.At;
    }

    public static void Apply(UploadStaged e, UploadRecord r)
    {
        if (!e.ScanPending)
            Unscanned(r);
        r.StagedAt = e.At;
    }

    public static void Apply(UploadApprovalGiven e, UploadRecord r)
    {
        r.Approvals = [.. r.Approvals, new ReviewApproval(e.By, e.At)];
        r.ApprovalsRequired = e.Required;
        r.At = e.At;
    }

    public static void Apply(UploadApproved e, UploadRecord r)
    {
        r.Status = UploadStatus.Routed;
        r.Review = ReviewState.Approved;
        r.ReviewedBy = e.By;
        r.Approvals = [.. r.Approvals, new ReviewApproval(e.By, e.At)];
        r.ApprovalsRequired = e.Required ?? r.Approvals.Count;
        r.At = e.At;
    }

    public static void Apply(UploadRejectedByReviewer e, UploadRecord r)
    {
        r.Status = UploadStatus.Rejected;
        r.Review = ReviewState.Rejected;
        r.ReviewedBy = e.By;
        r.Error = $"Rejected by {e.By} on review: {e.Reason}";
        r.FilePath = null;
        r.At = e.At;
    }

    public static void Apply(DatabaseUploadRefused e, UploadRecord r)
    {
        r.Status = UploadStatus.Rejected;
        r.Error = e.Reason;
        r.Location = e.KeptAt;
        r.FilePath = e.KeptAt;
        r.At = e.At;
    }

    public static void Apply(Retention.RejectedUploadPurged e, UploadRecord r)
    {
        r.PurgedAt ??= e.At;
        r.FilePath = null;
        r.At = e.At;
    }

    public static void Apply(UploadRejected e, UploadRecord r)
    {
        Unscanned(r);
        r.Status = UploadStatus.Rejected;
        r.Error = e.Reason;
        r.Location = e.QuarantineLocation;
        r.At = e.At;
    }
}
