namespace Inlet.Tests.Infrastructure;

/// <summary>The token endpoints as a client sees them, answering raw JSON so tests check the contract's names.</summary>
public static class TokenApi
{
    public static async Task<JsonElement> Issue(this HttpClient client, string wsid, object? body = null)
    {
        var response = await client.PostAsJsonAsync($"/api/workspaces/{wsid}/upload-tokens", body ?? new { reason = "Nightly export from site A" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetJson(this HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    /// <summary>Waits (without a fixed sleep) until <paramref name="condition"/> holds, or fails after <paramref name="seconds"/>.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, int seconds, string what, int pollMilliseconds = 250)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
                return;
            await Task.Delay(pollMilliseconds);
        }
        Assert.Fail($"within {seconds} s: {what}");
    }
}
