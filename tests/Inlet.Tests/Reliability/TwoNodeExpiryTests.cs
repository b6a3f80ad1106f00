using Alba;
using Inlet.Tokens.ExpireUploadToken;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Inlet.Tests.Reliability;

/// <summary>Two nodes firing the same expiry at once, and revocations racing it: one close per token, never two.</summary>
public sealed class TwoNodeExpiryTests(InletApp app) : IClassFixture<InletApp>
{
    /// <summary>What a node's durable scheduler does at valid_to: handle the message, retrying a lost race.</summary>
    private static async Task Fire(IAlbaHost node, Guid tid)
    {
        await using var scope = node.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new ExpireUploadToken(tid));
    }

    [Fact]
    public async Task An_expiry_fired_on_two_nodes_at_once_closes_each_token_once()
    {
        await using var second = await app.StartHost();
        var ws = InletApp.NewWorkspace("expiry");
        var alice = await app.SignedIn("alice", ws);
        var tokens = new List<Guid>();
        for (var i = 0; i < 10; i++)
            tokens.Add(Guid.Parse((await alice.Issue(ws, new { reason = $"one day {i}", valid_days = 1 })).Str("tid")));
        app.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        // Both nodes fire every expiry together, twice over, while half the tokens are also being revoked.
        var firing = tokens.SelectMany(tid => new[] { Fire(app.Host, tid), Fire(second, tid), Fire(app.Host, tid), Fire(second, tid) });
        var revoking = tokens.Take(5).Select(tid => alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}"));
        await Task.WhenAll(firing.Concat(revoking));

        foreach (var tid in tokens)
        {
            var closes = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}/events")).EnumerateArray()
                .Select(e => e.Str("type")).Where(t => t is "expired" or "revoked").ToList();
            Assert.True(closes.Count == 1, $"token {tid} was closed {closes.Count} times: {string.Join(", ", closes)}");
        }
    }
}
