using System.Security.Cryptography;
using System.Text;
using Inlet.BuildingBlocks.Text;
using Inlet.Tokens.Contracts;

namespace Inlet.Ingestion.Routing;

/// <summary>An upload was counted against its token's quota when its destination was decided.</summary>
public sealed record UploadCountedAgainstQuota(Guid Tid, Guid UploadId, long Bytes, DateTimeOffset At);

/// <summary>An upload would have taken its token over its quota: it is refused, and the token is exhausted from now on.</summary>
public sealed record UploadCrossedQuota(Guid Tid, Guid UploadId, long Bytes, string Reason, DateTimeOffset At);

/// <summary>
/// The token's usage as its quota counts it: one stream per token (id <see cref="QuotaRules.StreamIdFor"/>), appended
/// to in the same transaction that starts each upload's stream, at the version it was read at (docs/adr/0028-upload-quotas.md).
/// </summary>
public sealed class TokenQuotaUsage
{
    public Guid Id { get; set; }
    public int Files { get; set; }
    public long Bytes { get; set; }
    public bool Crossed { get; set; }

    public void Apply(UploadCountedAgainstQuota e)
    {
        Files++;
        Bytes += e.Bytes;
    }

    public void Apply(UploadCrossedQuota e) => Crossed = true;
}

/// <summary>What the token's quota said of one upload: refused (and why), the event for the usage stream, and the exhaustion it causes.</summary>
public sealed record QuotaVerdict(string? Rejection, object? Event, QuotaExhaustion? Exhaustion)
{
    public static readonly QuotaVerdict Allowed = new(null, null, null);
}

/// <summary>The quota is used up by this upload: Tokens is told once, with the routing outcome.</summary>
public sealed record QuotaExhaustion(string Reason, long UsedBytes, int UsedFiles);

/// <summary>
/// The pure quota decisions (tests/Inlet.Ingestion.Tests). A file the token does not allow is refused and not counted;
/// a counted token refuses every file once exhausted, and the first file whose bytes (or count) would take it over a
/// limit is refused and exhausts it; a file that fills a limit exactly is routed and exhausts it. Which file that is
/// follows the order in which decisions commit on the usage stream, the same on every node.
/// </summary>
public static class QuotaRules
{
    /// <summary>The usage stream of token <paramref name="tid"/>: derived, so that it never shares an id with the token's own stream.</summary>
    public static Guid StreamIdFor(Guid tid)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"quota\n{tid:N}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    public static QuotaVerdict Decide(UploadQuota? quota, TokenQuotaUsage? usage, Guid tid, Guid uploadId, string blobName, long size, DateTimeOffset now)
    {
        if (quota is null)
            return QuotaVerdict.Allowed;
        var name = QuotedText.Printable(blobName, 200);
        if (!FileGlob.Allows(quota.AllowedPatterns, blobName))
            return new QuotaVerdict(
                $"'{name}' is not allowed by this token: it accepts only files matching {string.Join(", ", quota.AllowedPatterns)}. The file is kept in quarantine.",
                null, null);
        if (!quota.Counts)
            return QuotaVerdict.Allowed;

        var files = usage?.Files ?? 0;
        var bytes = usage?.Bytes ?? 0;
        var used = Usage(quota, files, bytes);
        if (usage?.Crossed == true || Reached(quota, files, bytes))
            return new QuotaVerdict($"'{name}' ({size} bytes) arrived after the token's quota was used up ({used}). The file is kept in quarantine.", null, null);

        if (quota.MaxFiles is { } maxFiles && files + 1 > maxFiles || quota.MaxBytes is { } maxBytes && bytes + size > maxBytes)
        {
            var limit = quota.MaxBytes is { } mb && bytes + size > mb ? $"max_bytes of {mb} bytes" : $"max_files of {quota.MaxFiles} files";
            var reason = $"'{name}' ({size} bytes) would take the token over its {limit} ({used} so far). The file is kept in quarantine; the token is exhausted.";
            return new QuotaVerdict(reason, new UploadCrossedQuota(tid, uploadId, size, reason, now), new QuotaExhaustion(reason, bytes, files));
        }

        var counted = new UploadCountedAgainstQuota(tid, uploadId, size, now);
        var (afterFiles, afterBytes) = (files + 1, bytes + size);
        return Reached(quota, afterFiles, afterBytes)
            ? new QuotaVerdict(null, counted, new QuotaExhaustion(
                $"The token reached its quota with '{name}' ({Usage(quota, afterFiles, afterBytes)}).", afterBytes, afterFiles))
            : new QuotaVerdict(null, counted, null);
    }

    private static bool Reached(UploadQuota quota, int files, long bytes) =>
        files >= quota.MaxFiles || bytes >= quota.MaxBytes;

    /// <summary>The usage against each limit, for a person: "120 of max_bytes 100 bytes, 2 of max_files 10 files".</summary>
    private static string Usage(UploadQuota quota, int files, long bytes) => string.Join(", ", new[]
    {
        quota.MaxBytes is { } mb ? $"{bytes} of max_bytes {mb} bytes used" : null,
        quota.MaxFiles is { } mf ? $"{files} of max_files {mf} files used" : null,
    }.Where(s => s is not null));
}
