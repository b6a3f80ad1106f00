using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Inlet.Notifications.Notices;

namespace Inlet.Notifications.Webhooks;

/// <summary>
/// What a webhook may be: pure rules, tested without a host
/// (tests/Inlet.Tests/Notifications/WebhookRulesTests.cs). How deliveries are signed: <see cref="WebhookSignatures"/>.
/// </summary>
public static class WebhookRules
{
    public const int MaxUrlLength = 2000;
    public const string SignatureHeader = "webhook-signature";
    public const string TimestampHeader = "webhook-timestamp";
    public const string IdHeader = "webhook-id";

    /// <summary>
    /// Null when <paramref name="url"/> may receive deliveries, else why not. https always; plain http only where
    /// <paramref name="allowLoopback"/> (Development) and only to a loopback address. Outside Development no loopback,
    /// private, link-local or otherwise internal address literal (the Host must not be a way into its own network);
    /// names are checked again, after resolving, when a delivery connects (<see cref="IsPublic"/>).
    /// </summary>
    public static string? UrlProblem(string? url, bool allowLoopback)
    {
        if (string.IsNullOrWhiteSpace(url))
            return "Give the URL the deliveries are posted to (https://…).";
        if (url.Length > MaxUrlLength)
            return $"The URL may have at most {MaxUrlLength} characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
            return "The URL must be an absolute https:// URL.";
        if (!string.IsNullOrEmpty(uri.UserInfo))
            return "The URL may not carry a user name or password; deliveries are signed instead.";
        if (!string.IsNullOrEmpty(uri.Fragment))
            return "The URL may not have a fragment (#…).";
        var loopback = IsLoopbackHost(uri);
        if (uri.Scheme == "http" && !(allowLoopback && loopback))
            return allowLoopback
                ? "Plain http is allowed only to a loopback address (localhost, 127.0.0.1, [::1]) in Development; use https."
                : "The URL must use https.";
        if (allowLoopback)
            return null;
        if (loopback)
            return "Loopback addresses can receive webhooks only in Development.";
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) && !IsPublic(address))
            return "The URL names a private or internal address; give a public host.";
        if (!uri.IdnHost.Contains('.'))
            return "The URL's host must be a fully qualified public name.";
        return null;
    }

    private static bool IsLoopbackHost(Uri uri) =>
        uri.IsLoopback || uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>An address on the public internet: not loopback, private (RFC 1918, ULA), link-local, CGNAT, multicast or unspecified.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
            return false;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] is >= 64 and <= 127) || b[0] >= 224);
        }
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal);
    }

    /// <summary>Null when <paramref name="events"/> is a non-empty list of known types (each once), else why not.</summary>
    public static string? EventsProblem(IReadOnlyList<string>? events)
    {
        if (events is null || events.Count == 0)
            return $"Name the events to deliver, any of: {string.Join(", ", NoticeTypes.All)}.";
        var unknown = events.Where(e => !NoticeTypes.All.Contains(e)).ToList();
        if (unknown.Count > 0)
            return $"Unknown event type(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; known: {string.Join(", ", NoticeTypes.All)}.";
        return events.Distinct().Count() != events.Count ? "Each event type may be named once." : null;
    }

    /// <summary>Scheme, host and port only: what the audit trail says of a URL (its path or query may hold the receiver's own secret).</summary>
    public static string Origin(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : "";
}
