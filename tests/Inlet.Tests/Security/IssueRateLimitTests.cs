namespace Inlet.Tests.Security;

public sealed class RateLimitedApp : InletApp
{
    protected override int RateLimit => 3;
}

public sealed class IssueRateLimitTests(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    [Fact]
    public async Task Issuing_beyond_the_per_user_limit_is_answered_429_with_Retry_After_and_other_users_are_unaffected()
    {
        var ws = InletApp.NewWorkspace("rate");
        var alice = await app.SignedIn("alice", ws);
        var bob = await app.SignedIn("bob", ws);
        for (var i = 0; i < 3; i++)
            await alice.Issue(ws);

        var refused = await alice.PostAsJsonAsync($"/api/workspaces/{ws}/upload-tokens", new { reason = "one too many" });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }, $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.Contains("at most 3", await refused.Content.ReadAsStringAsync());

        await bob.Issue(ws); // a limit per user, not per workspace
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/workspaces/{ws}/upload-tokens")).StatusCode); // only issuing is limited
        Assert.Equal(3, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens")).EnumerateArray().Count(t => t.Str("created_by") == "alice"));
    }
}
