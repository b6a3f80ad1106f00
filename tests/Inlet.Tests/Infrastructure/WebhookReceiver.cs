using System.Net.Sockets;
using Inlet.Notifications.Webhooks;
using Wolverine.Tracking;

namespace Inlet.Tests.Infrastructure;

/// <summary>A request the receiver got: its webhook headers, its bytes, what it answered, and whether the signature held.</summary>
public sealed record ReceivedDelivery(string? Id, long Timestamp, string? Signature, string ContentType, byte[] Body, int Answered, bool SignatureValid)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}

/// <summary>
/// A real HTTP receiver on a free loopback port (HttpListener): checks each delivery's signature against the secret
/// it is given once the webhook exists, answers what <see cref="Answer"/> says for the n-th request (1-based), and lets a
/// test wait for a condition on what it received (signalled on each request, no polling).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ReceivedDelivery> _received = [];
    private readonly Task _loop;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WebhookReceiver()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/hooks/inlet";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    public string Url { get; }

    /// <summary>The signing secret, set from the create answer.</summary>
    public string Secret { get; set; } = "";

    /// <summary>The scheme the webhook signs with: standard (checked by the reference library) unless set to legacy.</summary>
    public WebhookSigning Signing { get; set; } = WebhookSigning.Standard;

    public Func<int, int> Answer { get; set; } = _ => 200;

    public IReadOnlyList<ReceivedDelivery> Received
    {
        get { lock (_received) return [.. _received]; }
    }

    private async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (!_listener.IsListening) { return; }
            catch (HttpListenerException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var bytes = body.ToArray();
            long.TryParse(context.Request.Headers[WebhookRules.TimestampHeader], out var timestamp);
            var signature = context.Request.Headers[WebhookRules.SignatureHeader];
            var id = context.Request.Headers[WebhookRules.IdHeader];
            var valid = Signing == WebhookSigning.Standard ? LibraryVerifies(Secret, id, context.Request.Headers[WebhookRules.TimestampHeader], signature, bytes)
                : signature == LegacySignature(Secret, timestamp, bytes);
            int status;
            lock (_received)
            {
                status = Answer(_received.Count + 1);
                _received.Add(new ReceivedDelivery(id, timestamp, signature, context.Request.ContentType ?? "", bytes, status, valid));
            }
            context.Response.StatusCode = status;
            context.Response.Close();
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>What a receiver using the Standard Webhooks reference library (NuGet StandardWebhooks) accepts, not Inlet's own code.</summary>
    public static bool LibraryVerifies(string secret, string? id, string? timestamp, string? signature, byte[] body)
    {
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary
        {
            [WebhookRules.IdHeader] = id, [WebhookRules.TimestampHeader] = timestamp, [WebhookRules.SignatureHeader] = signature,
        };
        try
        {
            new StandardWebhooks.StandardWebhook(secret).Verify(System.Text.Encoding.UTF8.GetString(body), headers);
            return true;
        }
        catch (Exception e) when (e is StandardWebhooks.Diagnostics.WebhookVerificationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>The legacy scheme, by the receiver's own HMAC (not Inlet's helper): what a receiver in another language would do.</summary>
    public static string LegacySignature(string secret, long timestamp, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(secret), (byte[])[.. System.Text.Encoding.UTF8.GetBytes($"{timestamp}."), .. body]));

    /// <summary>Waits until <paramref name="condition"/> holds for what was received; fails after <paramref name="seconds"/> naming what came.</summary>
    public async Task<IReadOnlyList<ReceivedDelivery>> Until(Func<IReadOnlyList<ReceivedDelivery>, bool> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var changed = _changed.Task;
            var now = Received;
            if (condition(now))
                return now;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
                Assert.Fail($"within {seconds} s: {what}; received {now.Count}: {string.Join(", ", now.Select(r => $"{r.Json.GetProperty("type").GetString()}→{r.Answered}"))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try { await _loop; } catch (Exception) { /* stopped */ }
    }
}

/// <summary><paramref name="count"/> messages of type <typeparamref name="T"/> matching <paramref name="match"/> were handled successfully.</summary>
public sealed class Handled<T>(Func<T, bool> match, int count = 1) : ITrackedCondition
{
    private int _seen;

    public void Record(EnvelopeRecord record)
    {
        if (record.MessageEventType == MessageEventType.MessageSucceeded && record.Envelope?.Message is T message && match(message))
            Interlocked.Increment(ref _seen);
    }

    public bool IsCompleted() => Volatile.Read(ref _seen) >= count;

    public override string ToString() => $"{count} {typeof(T).Name} handled (so far {_seen})";
}
