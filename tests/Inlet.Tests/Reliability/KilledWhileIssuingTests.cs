
namespace Inlet.Tests.Reliability;

/// <summary>A Host SIGKILLed while it issues and revokes tokens: nothing is half-made, nothing half-revoked.</summary>
[Collection(nameof(RunsAlone))]
public sealed class KilledWhileIssuingTests
{
    [Fact]
    public async Task Every_token_a_client_received_works_and_is_recorded_and_every_revocation_holds_after_a_kill()
    {
        var postgres = await TestServices.CreateDatabase("inlet_kill");
        await using var host = new HostProcess(postgres);
        await host.Start();
        var ws = InletApp.NewWorkspace("kill");
        await host.SignIn("alice", ws);

        // Issue in parallel and kill the process while answers are still coming back.
        var received = new System.Collections.Concurrent.ConcurrentBag<JsonElement>();
        var issuing = Enumerable.Range(0, 60).Select(async i =>
        {
            try
            {
                var response = await host.Client.PostAsJsonAsync($"/api/workspaces/{ws}/upload-tokens", new { reason = $"token {i}" });
                if (response.StatusCode == HttpStatusCode.Created)
                    received.Add(await response.Content.ReadFromJsonAsync<JsonElement>());
            }
            catch (HttpRequestException)
            {
                // the process died under this request: the client never got a token
            }
        }).ToList();
        await TokenApi.Eventually(() => Task.FromResult(received.Count >= 10), 60, "some tokens issued");
        await host.Kill();
        await Task.WhenAll(issuing);
        await host.Start();

        var listed = (await host.Client.GetJson($"/api/workspaces/{ws}/upload-tokens")).EnumerateArray().Select(t => t.Str("tid")).ToHashSet();
        Assert.True(received.Count >= 10);
        foreach (var token in received)
        {
            Assert.Contains(token.Str("tid"), listed);
            var events = await host.Client.GetJson($"/api/workspaces/{ws}/upload-tokens/{token.Str("tid")}/events");
            Assert.Equal("issued", events[0].Str("type"));
            Assert.NotNull(await ScheduledExpiries.For(postgres, Guid.Parse(token.Str("tid")))); // its expiry survived the kill
        }
        foreach (var token in received.Take(5))
            Assert.Equal(201, await StorageProbe.TryUpload(token.Str("token")));

        // Revoke in parallel, kill mid-way, restart, and repeat what did not get its 204: revocation is idempotent.
        var toRevoke = received.Take(20).Select(t => t.Str("tid")).ToList();
        var revoking = toRevoke.Select(async tid =>
        {
            try { await host.Client.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}"); }
            catch (HttpRequestException) { }
        }).ToList();
        await Task.Delay(150);
        await host.Kill();
        await Task.WhenAll(revoking);
        await host.Start();
        foreach (var tid in toRevoke)
            Assert.Equal(HttpStatusCode.NoContent, (await host.Client.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}")).StatusCode);
        foreach (var token in received.Where(t => toRevoke.Contains(t.Str("tid"))))
        {
            Assert.Equal("revoked", (await host.Client.GetJson($"/api/workspaces/{ws}/upload-tokens/{token.Str("tid")}")).Str("status"));
            Assert.Equal(403, await StorageProbe.TryUpload(token.Str("token")));
            var revocations = (await host.Client.GetJson($"/api/workspaces/{ws}/upload-tokens/{token.Str("tid")}/events")).EnumerateArray().Count(e => e.Str("type") == "revoked");
            Assert.Equal(1, revocations);
        }
    }
}
