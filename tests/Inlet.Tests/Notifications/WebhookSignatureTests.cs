using System.Security.Cryptography;
using Inlet.Notifications.Webhooks;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Inlet.Tests.Notifications;

/// <summary>
/// Deliveries signed per the Standard Webhooks specification, checked by its reference .NET library (the NuGet package
/// StandardWebhooks) rather than by Inlet's own code; the legacy scheme as it was; rotation's decision (host-free).
/// </summary>
public sealed class WebhookSignatureTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly long Timestamp = Now.ToUnixTimeSeconds();
    private const string Body = """{"specversion":"1.0","id":"evt-1","type":"org.inlet.upload.routed","data":{"name":"visits.csv"}}""";

    private static HeaderDictionary Headers(string id, long timestamp, string signature) => new()
    {
        [WebhookRules.IdHeader] = id, [WebhookRules.TimestampHeader] = timestamp.ToString(), [WebhookRules.SignatureHeader] = signature,
    };

    private static bool LibraryVerifies(string secret, string body, HeaderDictionary headers)
    {
        try
        {
            new StandardWebhook(secret).Verify(body, headers);
            return true;
        }
        catch (WebhookVerificationException)
        {
            return false;
        }
    }

    [Fact]
    public void A_new_secret_is_whsec_and_32_random_bytes_in_standard_base64()
    {
        var secret = WebhookSignatures.NewSecret();
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.NotEqual(secret, WebhookSignatures.NewSecret());
    }

    [Fact]
    public void The_reference_library_verifies_a_standard_signature_and_refuses_a_tampered_body_another_secret_or_id()
    {
        var secret = WebhookSignatures.NewSecret();
        var keys = new SigningKeys(secret, WebhookSigning.Standard);
        var header = WebhookSignatures.Header(keys, "evt-1", Timestamp, System.Text.Encoding.UTF8.GetBytes(Body), Now);
        Assert.Matches("^v1,[A-Za-z0-9+/]{43}=$", header);
        Assert.Equal(new StandardWebhook(secret).Sign("evt-1", DateTimeOffset.FromUnixTimeSeconds(Timestamp), Body), header);

        Assert.True(LibraryVerifies(secret, Body, Headers("evt-1", Timestamp, header)));
        Assert.False(LibraryVerifies(secret, Body.Replace("visits", "visit5"), Headers("evt-1", Timestamp, header)));
        Assert.False(LibraryVerifies(WebhookSignatures.NewSecret(), Body, Headers("evt-1", Timestamp, header)));
        Assert.False(LibraryVerifies(secret, Body, Headers("evt-2", Timestamp, header)));
        Assert.False(LibraryVerifies(secret, Body, Headers("evt-1", Timestamp + 1, header)));
    }

    [Fact]
    public void During_a_rotations_grace_both_secrets_verify_and_after_it_only_the_new_one()
    {
        var (old, fresh) = (WebhookSignatures.NewSecret(), WebhookSignatures.NewSecret());
        var keys = new SigningKeys(fresh, WebhookSigning.Standard, old, Now.AddHours(24));
        var body = System.Text.Encoding.UTF8.GetBytes(Body);

        var during = WebhookSignatures.Header(keys, "evt-1", Timestamp, body, Now);
        Assert.Equal(3, during.Split(' ').Length); // current, previous, current again (see WebhookSignatures.Header)
        Assert.True(LibraryVerifies(fresh, Body, Headers("evt-1", Timestamp, during)));
        Assert.True(LibraryVerifies(old, Body, Headers("evt-1", Timestamp, during)));

        var after = WebhookSignatures.Header(keys, "evt-1", Timestamp, body, Now.AddHours(24));
        Assert.Single(after.Split(' '));
        Assert.True(LibraryVerifies(fresh, Body, Headers("evt-1", Timestamp, after)));
        Assert.False(LibraryVerifies(old, Body, Headers("evt-1", Timestamp, after)));
    }

    [Fact]
    public void A_legacy_webhook_is_signed_as_before_sha256_hex_of_timestamp_dot_body_keyed_with_the_secret_text()
    {
        const string secret = "whsec_Zm9vYmFyYmF6cXV4LWxlZ2FjeS1zZWNyZXQtdGV4dA";
        var body = System.Text.Encoding.UTF8.GetBytes(Body);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret), (byte[])[.. System.Text.Encoding.UTF8.GetBytes($"{Timestamp}."), .. body]));
        Assert.Equal(expected, WebhookSignatures.Header(new SigningKeys(secret, WebhookSigning.Legacy), "evt-1", Timestamp, body, Now));
    }

    [Fact]
    public void Rotating_keeps_a_standard_secret_for_the_grace_ends_a_legacy_one_at_once_and_refuses_a_deleted_webhook()
    {
        var webhook = new Webhook { Id = Guid.NewGuid(), State = WebhookState.Active };
        var grace = TimeSpan.FromHours(24);

        var standard = RotateWebhookSecretDecision.Decide(webhook, new WebhookSecret { Id = webhook.Id, Protected = "p-old", Signing = WebhookSigning.Standard },
            "p-new", "alice", Now, grace)!;
        Assert.Equal((WebhookSigning.Standard, Now + grace), (standard.Event.From, standard.Event.PreviousValidUntil));
        Assert.Equal(("p-new", WebhookSigning.Standard, "p-old", Now + grace),
            (standard.Secret.Protected, standard.Secret.Signing, standard.Secret.PreviousProtected, standard.Secret.PreviousValidUntil));

        // A document from before the standard scheme has no Signing: legacy, and its header cannot carry a second signature.
        var legacy = RotateWebhookSecretDecision.Decide(webhook, new WebhookSecret { Id = webhook.Id, Protected = "p-old" }, "p-new", "alice", Now, grace)!;
        Assert.Equal((WebhookSigning.Legacy, (DateTimeOffset?)null), (legacy.Event.From, legacy.Event.PreviousValidUntil));
        Assert.Null(legacy.Secret.PreviousProtected);

        // Rotated twice within the grace: only the secret just replaced stays valid, never the one before it.
        var again = RotateWebhookSecretDecision.Decide(webhook, standard.Secret, "p-newer", "alice", Now.AddHours(1), grace)!;
        Assert.Equal("p-new", again.Secret.PreviousProtected);

        Assert.Null(RotateWebhookSecretDecision.Decide(new Webhook { Id = webhook.Id, State = WebhookState.Deleted }, standard.Secret, "p", "alice", Now, grace));
        Assert.Null(RotateWebhookSecretDecision.Decide(null, standard.Secret, "p", "alice", Now, grace));
    }
}
