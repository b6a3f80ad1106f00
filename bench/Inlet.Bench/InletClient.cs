using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Inlet.Bench;

/// <summary>Inlet's HTTP contract (/work/shared/api.md) as a user's client calls it.</summary>
public sealed class InletClient : IDisposable
{
    private readonly HttpClient _http;

    private InletClient(HttpClient http) => _http = http;

    public static async Task<InletClient> SignIn(Uri address, string user, params string[] workspaces)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64 };
        var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        var response = await http.PostAsJsonAsync("/api/dev/sign-in", new { user, workspaces });
        response.EnsureSuccessStatusCode();
        var jwt = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        return new InletClient(http);
    }

    public sealed record IssuedToken(Guid Tid, string Sas);

    public async Task<IssuedToken> Issue(string wsid, bool toDatabase = false)
    {
        var response = await _http.PostAsJsonAsync($"/api/workspaces/{wsid}/upload-tokens",
            new { reason = "Benchmark", upload_to_database = toDatabase });
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"issuing a token: {(int)response.StatusCode} {text}");
        var json = JsonDocument.Parse(text).RootElement;
        return new IssuedToken(json.GetProperty("tid").GetGuid(), json.GetProperty("token").GetString()!);
    }

    public async Task<JsonElement> Get(string path)
    {
        var response = await _http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Times a GET including reading the whole body, as a client experiences it.</summary>
    public async Task<double> TimeGet(string path)
    {
        var clock = Stopwatch.StartNew();
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseContentRead);
        response.EnsureSuccessStatusCode();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Streams a GET's body without keeping it: milliseconds, bytes and lines (newlines) received.</summary>
    public async Task<(double Ms, long Bytes, long Lines)> TimeStream(string path)
    {
        var clock = Stopwatch.StartNew();
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long bytes = 0, lines = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            bytes += read;
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }
        return (clock.Elapsed.TotalMilliseconds, bytes, lines);
    }

    public void Dispose() => _http.Dispose();
}
