using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Inlet.Tokens.Contracts;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>A token's quota, decided directly: which upload is counted, which is refused, and which exhausts the token (ADR 28).</summary>
public sealed class QuotaDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);
    private static readonly Guid Tid = Guid.NewGuid();

    private static UploadQuota Bytes(long max) => new(max, null, []);

    /// <summary>Decides <paramref name="sizes"/> in turn, as their decisions would commit on the usage stream, applying each event.</summary>
    private static List<QuotaVerdict> DecideInTurn(UploadQuota quota, params long[] sizes)
    {
        var usage = new TokenQuotaUsage { Id = QuotaRules.StreamIdFor(Tid) };
        var verdicts = new List<QuotaVerdict>();
        for (var i = 0; i < sizes.Length; i++)
        {
            var verdict = QuotaRules.Decide(quota, usage, Tid, Guid.NewGuid(), $"export/part-{i}.csv", sizes[i], Now);
            switch (verdict.Event)
            {
                case UploadCountedAgainstQuota counted:
                    usage.Apply(counted);
                    break;
                case UploadCrossedQuota crossed:
                    usage.Apply(crossed);
                    break;
            }
            verdicts.Add(verdict);
        }
        return verdicts;
    }

    [Fact]
    public void The_file_whose_bytes_would_cross_max_bytes_is_refused_and_exhausts_the_token_those_within_stay_counted()
    {
        var verdicts = DecideInTurn(Bytes(100), 40, 50, 20, 5);

        Assert.IsType<UploadCountedAgainstQuota>(verdicts[0].Event);
        Assert.IsType<UploadCountedAgainstQuota>(verdicts[1].Event);
        Assert.Null(verdicts[0].Rejection);
        Assert.Null(verdicts[1].Rejection);
        Assert.Null(verdicts[1].Exhaustion);

        var crossing = verdicts[2];
        Assert.IsType<UploadCrossedQuota>(crossing.Event);
        Assert.Equal("'export/part-2.csv' (20 bytes) would take the token over its max_bytes of 100 bytes (90 of max_bytes 100 bytes used so far). "
            + "The file is kept in quarantine; the token is exhausted.", crossing.Rejection);
        Assert.Equal(new QuotaExhaustion(crossing.Rejection!, 90, 2), crossing.Exhaustion);

        // Even a file that would still fit is refused once the token is exhausted, and is not counted; no second exhaustion.
        Assert.Null(verdicts[3].Event);
        Assert.Null(verdicts[3].Exhaustion);
        Assert.StartsWith("'export/part-3.csv' (5 bytes) arrived after the token's quota was used up (90 of max_bytes 100 bytes used)", verdicts[3].Rejection);
    }

    [Fact]
    public void A_file_that_fills_max_bytes_exactly_is_routed_and_exhausts_the_token()
    {
        var verdicts = DecideInTurn(Bytes(100), 60, 40, 1);

        Assert.Null(verdicts[1].Rejection);
        Assert.IsType<UploadCountedAgainstQuota>(verdicts[1].Event);
        Assert.Equal(new QuotaExhaustion("The token reached its quota with 'export/part-1.csv' (100 of max_bytes 100 bytes used).", 100, 2), verdicts[1].Exhaustion);
        Assert.NotNull(verdicts[2].Rejection);
        Assert.Null(verdicts[2].Exhaustion);
    }

    [Fact]
    public void Max_files_counts_files_and_the_last_allowed_one_exhausts_the_token()
    {
        var verdicts = DecideInTurn(new UploadQuota(null, 2, []), 1, 1_000_000, 1);

        Assert.Null(verdicts[0].Exhaustion);
        Assert.Equal("The token reached its quota with 'export/part-1.csv' (2 of max_files 2 files used).", verdicts[1].Exhaustion!.Reason);
        Assert.Contains("2 of max_files 2 files used", verdicts[2].Rejection);
    }

    [Fact]
    public void A_file_the_patterns_do_not_allow_is_refused_with_the_patterns_and_not_counted()
    {
        var quota = new UploadQuota(100, null, ["*.csv", "*.TSV"]);

        var txt = QuotaRules.Decide(quota, null, Tid, Guid.NewGuid(), "export/notes.txt", 10, Now);
        Assert.Equal("'export/notes.txt' is not allowed by this token: it accepts only files matching *.csv, *.TSV. The file is kept in quarantine.", txt.Rejection);
        Assert.Null(txt.Event);
        Assert.Null(txt.Exhaustion);

        Assert.Null(QuotaRules.Decide(quota, null, Tid, Guid.NewGuid(), "export/Visits.CSV", 10, Now).Rejection);
        Assert.Null(QuotaRules.Decide(quota, null, Tid, Guid.NewGuid(), "b.tsv", 10, Now).Rejection);
    }

    [Fact]
    public void Patterns_alone_count_nothing_and_no_quota_decides_nothing()
    {
        var patterns = QuotaRules.Decide(new UploadQuota(null, null, ["*.csv"]), null, Tid, Guid.NewGuid(), "a.csv", 10, Now);
        Assert.Same(QuotaVerdict.Allowed, patterns);
        Assert.Same(QuotaVerdict.Allowed, QuotaRules.Decide(null, null, Tid, Guid.NewGuid(), "a.txt", 10, Now));
    }

    [Fact]
    public void The_usage_stream_id_is_derived_from_the_token_and_is_not_the_tokens_own()
    {
        Assert.Equal(QuotaRules.StreamIdFor(Tid), QuotaRules.StreamIdFor(Tid));
        Assert.NotEqual(Tid, QuotaRules.StreamIdFor(Tid));
        Assert.NotEqual(QuotaRules.StreamIdFor(Guid.NewGuid()), QuotaRules.StreamIdFor(Tid));
    }

    [Fact]
    public void A_refused_upload_is_decided_into_the_quarantine_unscanned_and_its_outcome_tells_Tokens_once()
    {
        var token = new TokenContainer { Id = Tid, Wsid = "ws1", Container = "upload-x", Destination = UploadDestination.Inbox, Quota = Bytes(100) };
        var blob = new IngestBlob(Tid, "upload-x", "big.csv", "\"0x1\"", 150, null);
        var id = RoutingRules.UploadIdFor(blob.Container, blob.BlobName, blob.ETag);
        var verdict = QuotaRules.Decide(token.Quota, null, Tid, id, blob.BlobName, blob.Size, Now);

        var (received, claim) = UploadDecisions.Receive(token, blob, id, RoutingRules.Decide(token.Destination, blob.BlobName, id), 1, Now, scan: true, verdict);
        var record = UploadRecordProjection.Create(received);

        Assert.Equal(RoutingRules.QuarantineLocation(id), record.Location);
        Assert.Equal($"ws1/{RoutingRules.QuarantineLocation(id)}", claim.Id);
        Assert.False(received.Scan);
        Assert.Equal(verdict.Rejection, UploadDecisions.DecidedRejection(record));

        var outcome = UploadDecisions.Outcome(record, new MoveResult(false, verdict.Rejection), false, [], null, Now);
        var rejected = Assert.IsType<UploadRejected>(outcome.Event);
        Assert.Equal(verdict.Rejection, rejected.Reason);
        Assert.Null(outcome.Usage);
        Assert.Equal(new MarkUploadTokenExhausted(Tid, "ws1", verdict.Rejection!, 0, 0, Now), outcome.Exhausted);
    }

    [Fact]
    public void A_routed_upload_that_fills_the_quota_is_routed_counted_as_usage_and_tells_Tokens()
    {
        var token = new TokenContainer { Id = Tid, Wsid = "ws1", Container = "upload-x", Destination = UploadDestination.Inbox, Quota = Bytes(100) };
        var blob = new IngestBlob(Tid, "upload-x", "all.csv", "\"0x1\"", 100, null);
        var id = RoutingRules.UploadIdFor(blob.Container, blob.BlobName, blob.ETag);
        var verdict = QuotaRules.Decide(token.Quota, null, Tid, id, blob.BlobName, blob.Size, Now);
        var (received, _) = UploadDecisions.Receive(token, blob, id, RoutingRules.Decide(token.Destination, blob.BlobName, id), 1, Now, quota: verdict);
        var record = UploadRecordProjection.Create(received);

        var outcome = UploadDecisions.Outcome(record, new MoveResult(true, null), false, [], null, Now);

        Assert.IsType<UploadRouted>(outcome.Event);
        Assert.NotNull(outcome.Usage);
        Assert.Equal(100, outcome.Exhausted!.UsedBytes);
    }
}
