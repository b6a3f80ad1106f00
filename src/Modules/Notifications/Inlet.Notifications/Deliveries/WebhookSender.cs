using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Inlet.Notifications.Webhooks;
using Microsoft.Extensions.Options;

namespace Inlet.Notifications.Deliveries;

/// <summary>How one attempt ended.</summary>
public sealed record AttemptOutcome(DateTimeOffset At, int? StatusCode, string? Error, long DurationMs)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}

/// <summary>
/// Posts a delivery's bytes, signed, to a webhook's URL: no redirects followed (a redirect could point inside the
/// network), and outside Development a connection only to a public address, checked after the name is resolved, so a
/// name that resolves to a private address is refused even though its URL was accepted.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly HttpClient _client;
    private readonly TimeProvider _clock;

    public WebhookSender(IOptions<NotificationsOptions> options, TimeProvider clock)
    {
        _clock = clock;
        var allowLoopback = options.Value.AllowLoopback;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, ct) =>
            {
                var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
                var allowed = addresses.Where(a => allowLoopback || WebhookRules.IsPublic(a)).ToArray();
                if (allowed.Length == 0)
                    throw new HttpRequestException($"{context.DnsEndPoint.Host} resolves to no public address.");
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(handler) { Timeout = options.Value.Timeout };
    }

    public async Task<AttemptOutcome> Send(string url, SigningKeys keys, WebhookDelivery delivery, CancellationToken ct)
    {
        var at = _clock.GetUtcNow();
        var timestamp = at.ToUnixTimeSeconds();
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", CloudEventBody.ContentType);
        request.Headers.Add(WebhookRules.IdHeader, delivery.EventId);
        request.Headers.Add(WebhookRules.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookRules.SignatureHeader, WebhookSignatures.Header(keys, delivery.EventId, timestamp, body, at));
        request.Headers.UserAgent.ParseAdd("Inlet-Webhooks/1");
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            return new AttemptOutcome(at, (int)response.StatusCode, response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", watch.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            // The message, never the request: it holds no header (so no signature) and no body.
            var error = e is TaskCanceledException ? "timed out" : e.Message;
            return new AttemptOutcome(at, null, error.Length > 300 ? error[..300] : error, watch.ElapsedMilliseconds);
        }
    }

    public void Dispose() => _client.Dispose();
}
