using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Text;
using Inlet.Tokens.Contracts;
using Microsoft.AspNetCore.Mvc;

namespace Inlet.Tokens.IssueUploadToken;

public sealed record IssueUploadTokenRequest(
    string? Reason,
    DateTimeOffset? ValidFrom = null,
    int? ValidDays = null,
    bool? UploadToDatabase = null,
    string? Folder = null,
    string? BadRows = null,
    long? MaxBytes = null,
    int? MaxFiles = null,
    string[]? AllowedPatterns = null);

/// <summary>The request, checked: what a token issued now would be.</summary>
public sealed record ValidatedTokenRequest(string Reason, DateTimeOffset ValidFrom, DateTimeOffset ValidTo, UploadDestination Destination, UploadQuota? Quota = null);

public static class IssueUploadTokenRules
{
    public const int MaxValidDays = 30;
    public const int MaxReasonLength = 500;
    public const int MaxFolderLength = 255;
    public const int MaxAllowedPatterns = 20;

    // A valid_from a little in the past is clock skew between client and server, not a request for the past.
    private static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(5);

    public static (ValidatedTokenRequest? Request, ProblemDetails? Problem) Validate(IssueUploadTokenRequest? request, DateTimeOffset now)
    {
        if (request is null)
            return Fail("body", "Send a JSON object such as {\"reason\": \"Nightly export from site A\"}.");

        var reason = request.Reason?.Trim();
        if (string.IsNullOrEmpty(reason))
            return Fail("reason", "A reason is required: say who will upload what, e.g. \"Nightly export from site A\".");
        if (reason.Length > MaxReasonLength)
            return Fail("reason", $"The reason is {reason.Length} characters long; at most {MaxReasonLength} are allowed.");
        if (reason.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
            return Fail("reason", "The reason contains control characters; use plain text.");

        var validDays = request.ValidDays ?? MaxValidDays;
        if (validDays is < 1 or > MaxValidDays)
            return Fail("valid_days", $"valid_days must be between 1 and {MaxValidDays} (got {validDays}).");

        var validFrom = TruncateToSeconds(request.ValidFrom?.ToUniversalTime() ?? now);
        if (validFrom < now - AllowedSkew)
            return Fail("valid_from", "valid_from lies in the past; leave it out to start now, or give a time up to 30 days ahead.");
        if (validFrom < now)
            validFrom = TruncateToSeconds(now);
        if (validFrom > now.AddDays(MaxValidDays))
            return Fail("valid_from", $"valid_from may be at most {MaxValidDays} days ahead.");

        var toDatabase = request.UploadToDatabase ?? false;
        var folder = request.Folder;
        if (toDatabase && folder is not null)
            return Fail("folder", "upload_to_database and folder exclude each other: a token sends files either to the database or to a folder.");

        if (request.BadRows is { } badRows && badRows is not ("report" or "refuse"))
            return Fail("bad_rows", $"bad_rows must be \"report\" (load the rows that parse and list the others) or \"refuse\" (refuse a file with any bad row), not \"{badRows}\".");
        if (request.BadRows is not null && !toDatabase)
            return Fail("bad_rows", "bad_rows applies to database tokens only: add \"upload_to_database\": true.");

        UploadDestination destination;
        if (folder is not null)
        {
            if (WorkspacePath.Problem(folder, MaxFolderLength) is { } why)
                return Fail("folder", why);
            destination = new UploadDestination(DestinationKind.Folder, WorkspacePath.Normalise(folder));
        }
        else
        {
            destination = toDatabase ? new UploadDestination(DestinationKind.Database, null, request.BadRows) : UploadDestination.Inbox;
        }

        if (request.MaxBytes is < 1)
            return Fail("max_bytes", $"max_bytes is the most bytes the token may deliver in all: a whole number of at least 1 (got {request.MaxBytes}); leave it out for no limit.");
        if (request.MaxFiles is < 1)
            return Fail("max_files", $"max_files is the most files the token may deliver: a whole number of at least 1 (got {request.MaxFiles}); leave it out for no limit.");
        var patterns = request.AllowedPatterns ?? [];
        if (patterns.Length > MaxAllowedPatterns)
            return Fail("allowed_patterns", $"At most {MaxAllowedPatterns} allowed_patterns are allowed (got {patterns.Length}).");
        foreach (var pattern in patterns)
            if (FileGlob.Problem(pattern) is { } why)
                return Fail("allowed_patterns", why);
        var quota = new UploadQuota(request.MaxBytes, request.MaxFiles, [.. patterns.Select(p => p.Trim()).Distinct(StringComparer.OrdinalIgnoreCase)]);

        return (new ValidatedTokenRequest(reason, validFrom, validFrom.AddDays(validDays), destination, quota.IsNone ? null : quota), null);
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) =>
        new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    private static (ValidatedTokenRequest?, ProblemDetails?) Fail(string field, string detail) => (null, Problems.Validation(field, detail));
}
