using Inlet.BuildingBlocks.Text;
using Inlet.Tokens.Contracts;
using Inlet.Tokens.ExhaustUploadToken;
using Inlet.Tokens.IssueUploadToken;
using Inlet.Tokens.RevokeUploadToken;
using Xunit;

namespace Inlet.Tokens.Tests;

/// <summary>Quotas at issue time and the exhaustion decision, called directly (ADR 28).</summary>
public sealed class QuotaTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("{\"max_bytes\": -1}", "max_bytes")]
    [InlineData("{\"max_bytes\": 0}", "max_bytes")]
    [InlineData("{\"max_files\": 0}", "max_files")]
    [InlineData("{\"allowed_patterns\": [\"*.[ch]\"]}", "allowed_patterns")]
    [InlineData("{\"allowed_patterns\": [\"\"]}", "allowed_patterns")]
    [InlineData("{\"allowed_patterns\": [\"{a,b}.csv\"]}", "allowed_patterns")]
    public void A_bad_limit_is_a_problem_naming_its_field(string limits, string field)
    {
        var request = Request(limits);
        var (valid, problem) = IssueUploadTokenRules.Validate(request, Now);
        Assert.Null(valid);
        Assert.Equal($"Invalid '{field}'", problem!.Title);
    }

    private static IssueUploadTokenRequest Request(string limits)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(limits);
        var root = doc.RootElement;
        long? maxBytes = root.TryGetProperty("max_bytes", out var b) ? b.GetInt64() : null;
        int? maxFiles = root.TryGetProperty("max_files", out var f) ? f.GetInt32() : null;
        string[]? patterns = root.TryGetProperty("allowed_patterns", out var p) ? [.. p.EnumerateArray().Select(x => x.GetString()!)] : null;
        return new IssueUploadTokenRequest("r", MaxBytes: maxBytes, MaxFiles: maxFiles, AllowedPatterns: patterns);
    }

    [Fact]
    public void Limits_are_kept_with_the_token_and_announced_to_Ingestion()
    {
        var (valid, problem) = IssueUploadTokenRules.Validate(new IssueUploadTokenRequest("r", MaxBytes: 1000, MaxFiles: 3, AllowedPatterns: [" *.csv", "*.CSV", "*.tsv"]), Now);
        Assert.Null(problem);
        Assert.Equal(1000, valid!.Quota!.MaxBytes);
        Assert.Equal(3, valid.Quota.MaxFiles);
        Assert.Equal(["*.csv", "*.tsv"], valid.Quota.AllowedPatterns);

        var issued = UploadTokenDecisions.Issue(Guid.NewGuid(), "ws1", "alice", valid, Now, "landing");
        Assert.Same(valid.Quota, issued.Issued.Quota);
        Assert.Same(valid.Quota, issued.Activated.Quota);
    }

    [Fact]
    public void Without_limits_a_token_has_no_quota()
    {
        var (valid, _) = IssueUploadTokenRules.Validate(new IssueUploadTokenRequest("r", AllowedPatterns: []), Now);
        Assert.Null(valid!.Quota);
    }

    private static UploadToken Token() => UploadToken.Create(new UploadTokenIssued(Guid.NewGuid(), "ws1", "r", "alice", Now, Now, Now.AddDays(1),
        UploadDestination.Inbox, "upload-x", new UploadQuota(100, null, [])));

    [Fact]
    public void An_open_token_is_exhausted_once_and_the_fact_announced_with_its_container()
    {
        var token = Token();
        var command = new MarkUploadTokenExhausted(token.Id, "ws1", "over max_bytes", 90, 2, Now);

        var (exhausted, announced) = UploadTokenDecisions.Exhaust(token, command);
        Assert.Equal(new UploadTokenQuotaExhausted(token.Id, "over max_bytes", 90, 2, Now), exhausted);
        Assert.Equal(new UploadTokenExhausted(token.Id, "ws1", "upload-x", "over max_bytes", Now), announced);

        token.Apply(exhausted!);
        Assert.Equal((null, null), UploadTokenDecisions.Exhaust(token, command)); // re-delivered: nothing new
        Assert.Equal(TokenStatus.Exhausted, UploadToken.StatusAt(null, null, token.ValidTo, Now, token.ExhaustedAt));
        Assert.Equal(TokenStatus.Revoked, UploadToken.StatusAt(Now, null, token.ValidTo, Now, token.ExhaustedAt));
    }

    [Fact]
    public void A_closed_unknown_or_foreign_token_is_not_exhausted()
    {
        var token = Token();
        Assert.Equal((null, null), UploadTokenDecisions.Exhaust(null, new MarkUploadTokenExhausted(token.Id, "ws1", "r", 0, 0, Now)));
        Assert.Equal((null, null), UploadTokenDecisions.Exhaust(token, new MarkUploadTokenExhausted(token.Id, "other", "r", 0, 0, Now)));
        token.Apply(new UploadTokenRevoked(token.Id, "alice", Now));
        Assert.False(UploadTokenDecisions.IsExhaustible(token));
        Assert.Equal((null, null), UploadTokenDecisions.Exhaust(token, new MarkUploadTokenExhausted(token.Id, "ws1", "r", 0, 0, Now)));
    }

    [Theory]
    [InlineData("*.csv", "site/a/visits.csv", true)]
    [InlineData("*.csv", "site/a/VISITS.Csv", true)]
    [InlineData("*.csv", "site/a/visits.csv.txt", false)]
    [InlineData("*.csv", "notes.txt", false)]
    [InlineData("export-????.txt", "dir/export-2026.txt", true)]
    [InlineData("export-????.txt", "dir/export-26.txt", false)]
    [InlineData("site-a/*.csv", "site-a/v.csv", true)]
    [InlineData("site-a/*.csv", "site-b/v.csv", false)]
    [InlineData("*", "anything", true)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    public void A_glob_matches_names_or_with_a_slash_paths(string pattern, string path, bool matches) =>
        Assert.Equal(matches, FileGlob.Matches(pattern, path));
}
