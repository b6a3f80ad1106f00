using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Inlet.Notifications.Webhooks;

/// <summary>How a webhook's deliveries are signed (docs/adr/0038-standard-webhooks-signatures.md).</summary>
public enum WebhookSigning
{
    /// <summary>
    /// The Standard Webhooks specification: <c>v1,&lt;base64 HMAC-SHA256&gt;</c> over <c>{id}.{timestamp}.{body}</c>, keyed
    /// with the base64-decoded part of a <c>whsec_</c> secret; what the reference libraries verify. Every new webhook.
    /// </summary>
    Standard,

    /// <summary>
    /// Inlet's scheme before: <c>sha256=&lt;hex&gt;</c> over <c>{timestamp}.{body}</c> keyed with the secret's UTF-8 bytes.
    /// Webhooks created before the standard scheme keep it until a member rotates their secret.
    /// </summary>
    Legacy,
}

/// <summary>The keys a delivery is signed with now: the current secret, and during a rotation's grace the previous one.</summary>
public sealed record SigningKeys(string Secret, WebhookSigning Signing, string? PreviousSecret = null, DateTimeOffset? PreviousValidUntil = null);

/// <summary>The one owner of how deliveries are signed and how a new secret looks: pure, tested without a host.</summary>
public static class WebhookSignatures
{
    public const string SecretPrefix = "whsec_";

    /// <summary>A fresh secret as the specification has it: <c>whsec_</c> and 32 random bytes in standard base64.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The <c>webhook-signature</c> header of one delivery. Standard: the current secret's <c>v1,…</c> first and, while the
    /// previous secret of a rotation is still valid at <paramref name="now"/>, its own after a space (and the current one again),
    /// so a receiver that has not yet switched keeps verifying. Legacy: the one <c>sha256=…</c> (a list would break receivers that compare it whole).
    /// </summary>
    public static string Header(SigningKeys keys, string id, long timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (keys.Signing == WebhookSigning.Legacy)
            return Legacy(keys.Secret, timestamp, body);
        var header = Standard(keys.Secret, id, timestamp, body);
        // The current signature ends the list once more: the .NET reference library (NuGet StandardWebhooks 1.1.2) leaves its
        // loop before it checks a list's last entry, so without the repeat its users on the previous secret would fail. The
        // specification allows any number of v1 entries; every library tested accepts the repeat (docs/adr/0038).
        return keys.PreviousSecret is { } previous && keys.PreviousValidUntil > now
            ? $"{header} {Standard(previous, id, timestamp, body)} {header}"
            : header;
    }

    /// <summary><c>v1,</c> and the base64 HMAC-SHA256, keyed with the secret's decoded bytes, of <c>{id}.{timestamp}.{body}</c>.</summary>
    public static string Standard(string secret, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Signed($"{id}.{timestamp.ToString(CultureInfo.InvariantCulture)}.", body)));
    }

    /// <summary>
    /// <c>sha256=</c> and the lower-case hex HMAC-SHA256, keyed with the secret's UTF-8 bytes (the whole string, prefix
    /// included), of <c>{timestamp}.{body}</c>.
    /// </summary>
    public static string Legacy(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Signed(timestamp.ToString(CultureInfo.InvariantCulture) + ".", body)));

    private static byte[] Signed(string prefix, ReadOnlySpan<byte> body)
    {
        var head = Encoding.UTF8.GetBytes(prefix);
        var signed = new byte[head.Length + body.Length];
        head.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(head.Length));
        return signed;
    }
}
