using Inlet.BuildingBlocks.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Inlet.Tests.Audit;

/// <summary>Host-free: how the audit's query string is read.</summary>
public sealed class AuditQueryTests
{
    private static AuditQuery Parse(string query, params string[] refused)
    {
        var (q, problem) = AuditQuery.Parse(new QueryCollection(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query)), refused);
        Assert.True(q is not null, problem?.Detail);
        return q!;
    }

    [Fact]
    public void No_parameter_is_the_v1_unpaged_answer_and_any_parameter_pages_by_100()
    {
        Assert.False(Parse("").Paged);
        var paged = Parse("?type=issued");
        Assert.True(paged.Paged);
        Assert.Equal(AuditQuery.DefaultLimit, paged.Limit);
        Assert.Equal(100, AuditQuery.DefaultLimit);
        Assert.False(Parse("?format=csv").Paged);
    }

    [Fact]
    public void Every_filter_is_read()
    {
        var tid = Guid.NewGuid();
        var upload = Guid.NewGuid();
        var q = Parse($"?type=issued,revoked&tid={tid}&by=bob&upload={upload}&from=2026-11-01&to=2026-11-02T10:00:00Z&after=42&limit=1000&order=desc&format=ndjson");
        Assert.Equal(["issued", "revoked"], q.Types!);
        Assert.Equal((tid, "bob", upload), (q.Tid, q.By, q.Upload));
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), q.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 10, 0, 0, TimeSpan.Zero), q.To);
        Assert.Equal((42L, 1000, true, AuditFormat.Ndjson), (q.After, q.Limit, q.Descending, q.Format));
    }

    [Fact]
    public void A_refused_or_repeated_parameter_names_itself()
    {
        var (_, refused) = AuditQuery.Parse(new QueryCollection(new Dictionary<string, StringValues> { ["tid"] = Guid.NewGuid().ToString() }), "tid");
        Assert.Equal("Invalid 'tid'", refused!.Title);
        var (_, repeated) = AuditQuery.Parse(new QueryCollection(new Dictionary<string, StringValues> { ["by"] = new(["a", "b"]) }));
        Assert.Equal("Invalid 'by'", repeated!.Title);
    }
}
