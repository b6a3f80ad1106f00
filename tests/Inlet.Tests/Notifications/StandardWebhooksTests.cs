using System.Diagnostics;
using Inlet.Notifications.Deliveries;
using Inlet.Notifications.Webhooks;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Inlet.Tests.Notifications;

/// <summary>
/// Deliveries a receiver verifies with the Standard Webhooks reference libraries, not with code of its own: the npm package
/// `standardwebhooks` (run by Node, installed by eng/services.sh) and the NuGet package StandardWebhooks (in
/// <see cref="WebhookReceiver"/>); secret rotation with its grace; webhooks from before keep their scheme until rotated
/// (docs/adr/0038-standard-webhooks-signatures.md).
/// </summary>
public sealed class StandardWebhooksTests(WebhookApp app) : IClassFixture<WebhookApp>
{
    private static async Task<JsonElement> Create(HttpClient client, string ws, WebhookReceiver receiver)
    {
        var response = await client.PostAsJsonAsync($"/api/workspaces/{ws}/webhooks", new { url = receiver.Url, events = new[] { "upload.routed" } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        receiver.Secret = created.Str("secret");
        return created;
    }

    private async Task Upload(HttpClient alice, string ws, string name) =>
        await app.Host.UploadUntilDecided(alice, await alice.Issue(ws), LocalFiles.Folder((name, "fine data")), 1);

    private static async Task<JsonElement> Rotate(HttpClient client, string ws, string id)
    {
        var response = await client.PostAsync($"/api/workspaces/{ws}/webhooks/{id}/rotate-secret", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"rotate: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The npm reference library's verdict on one delivery: "verified", or "refused: why".</summary>
    private static async Task<string> NodeVerifies(string secret, ReceivedDelivery delivery, string? body = null)
    {
        var library = Path.Combine(TestServices.RepoRoot(), "eng", "tools", "node_modules", "standardwebhooks");
        Assert.True(Directory.Exists(library), $"the npm package standardwebhooks is installed by eng/services.sh into {library}");
        const string script = """
            const { Webhook } = require(process.argv[1]);
            let input = ''; process.stdin.on('data', c => input += c).on('end', () => {
              const d = JSON.parse(input);
              try { new Webhook(d.secret).verify(d.body, d.headers); console.log('verified'); }
              catch (e) { console.log('refused: ' + e.message); }
            });
            """;
        var start = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(library);
        using var node = Process.Start(start)!;
        await node.StandardInput.WriteAsync(JsonSerializer.Serialize(new
        {
            secret,
            body = body ?? System.Text.Encoding.UTF8.GetString(delivery.Body),
            headers = new Dictionary<string, string?>
            {
                ["webhook-id"] = delivery.Id, ["webhook-timestamp"] = delivery.Timestamp.ToString(), ["webhook-signature"] = delivery.Signature,
            },
        }));
        node.StandardInput.Close();
        var output = (await node.StandardOutput.ReadToEndAsync()).Trim();
        await node.WaitForExitAsync();
        return output;
    }

    [Fact]
    public async Task Deliveries_verify_with_the_npm_and_NuGet_libraries_and_after_a_rotation_with_the_old_secret_and_the_new()
    {
        var ws = InletApp.NewWorkspace("stdhook");
        var alice = await app.SignedIn("alice", ws);
        await using var receiver = new WebhookReceiver();
        var hook = await Create(alice, ws, receiver);
        Assert.Equal("standard", hook.Str("signing"));
        var first = receiver.Secret;

        await Upload(alice, ws, "one.csv");
        var delivered = (await receiver.Until(r => r.Count >= 1, "the first delivery"))[0];
        Assert.Matches("^v1,[A-Za-z0-9+/]{43}=$", delivered.Signature);
        Assert.True(delivered.SignatureValid, "verified by the NuGet reference library");
        Assert.Equal("verified", await NodeVerifies(first, delivered));
        Assert.StartsWith("refused", await NodeVerifies(first, delivered, System.Text.Encoding.UTF8.GetString(delivered.Body).Replace("one.csv", "two.csv")));
        Assert.StartsWith("refused", await NodeVerifies(WebhookSignatures.NewSecret(), delivered));

        var rotated = await Rotate(alice, ws, hook.Str("id"));
        var second = rotated.Str("secret");
        Assert.NotEqual(first, second);
        Assert.Equal("standard", rotated.Str("signing"));
        var validUntil = rotated.GetProperty("previous_secret_valid_until").GetDateTimeOffset();
        Assert.InRange(validUntil - rotated.GetProperty("rotated_at").GetDateTimeOffset(), TimeSpan.FromHours(24), TimeSpan.FromHours(24));

        await Upload(alice, ws, "two.csv");
        var after = (await receiver.Until(r => r.Count >= 2, "the delivery after the rotation"))[1];
        Assert.Equal(3, after.Signature!.Split(' ').Length);
        Assert.True(after.SignatureValid, "a receiver still on the old secret verifies during the grace");
        Assert.True(WebhookReceiver.LibraryVerifies(second, after.Id, after.Timestamp.ToString(), after.Signature, after.Body), "and one on the new secret");
        Assert.Equal("verified", await NodeVerifies(first, after));
        Assert.Equal("verified", await NodeVerifies(second, after));

        // Shown once: never in the listing or the audit trail, and the rotation is audited.
        var listed = await alice.GetJson($"/api/workspaces/{ws}/webhooks/{hook.Str("id")}");
        Assert.Equal(validUntil, listed.GetProperty("previous_secret_valid_until").GetDateTimeOffset());
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray().ToList();
        var entry = audit.Single(e => e.Str("type") == "webhook_secret_rotated");
        Assert.Equal("alice", entry.Str("by"));
        foreach (var text in new[] { listed.GetRawText(), string.Join("", audit.Select(e => e.GetRawText())) })
        {
            Assert.DoesNotContain(first, text);
            Assert.DoesNotContain(second, text);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await alice.PostAsync($"/api/workspaces/{ws}/webhooks/{Guid.NewGuid()}/rotate-secret", null)).StatusCode);
    }

    [Fact]
    public async Task A_webhook_from_before_keeps_its_legacy_signature_until_rotated_then_signs_the_standard_way_at_once()
    {
        var ws = InletApp.NewWorkspace("oldhook");
        var alice = await app.SignedIn("alice", ws);
        await using var receiver = new WebhookReceiver { Signing = WebhookSigning.Legacy };
        // As a webhook created before the standard scheme is stored: its event and its secret document name no scheme, and
        // its secret is the old format (base64url, no padding).
        var id = Guid.CreateVersion7();
        receiver.Secret = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var protector = app.Host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(DeliverWebhookHandler.ProtectorPurpose);
        await using (var session = app.Host.Services.GetRequiredService<IDocumentStore>().LightweightSession())
        {
            session.Events.StartStream<Webhook>(id, new WebhookCreated(id, ws, receiver.Url, ["upload.routed"], "alice", DateTimeOffset.UtcNow));
            session.Insert(new WebhookSecret { Id = id, Protected = protector.Protect(receiver.Secret) });
            await session.SaveChangesAsync();
        }
        Assert.Equal("legacy", (await alice.GetJson($"/api/workspaces/{ws}/webhooks/{id}")).Str("signing"));

        await Upload(alice, ws, "old.csv");
        var legacy = (await receiver.Until(r => r.Count >= 1, "the legacy delivery"))[0];
        Assert.StartsWith("sha256=", legacy.Signature);
        Assert.True(legacy.SignatureValid, "the receiver written for the old scheme keeps working");

        var rotated = await Rotate(alice, ws, id.ToString());
        Assert.Equal(JsonValueKind.Null, rotated.GetProperty("previous_secret_valid_until").ValueKind);
        (receiver.Secret, receiver.Signing) = (rotated.Str("secret"), WebhookSigning.Standard);
        Assert.Equal("standard", (await alice.GetJson($"/api/workspaces/{ws}/webhooks/{id}")).Str("signing"));

        await Upload(alice, ws, "new.csv");
        var standard = (await receiver.Until(r => r.Count >= 2, "the delivery after the rotation"))[1];
        Assert.Single(standard.Signature!.Split(' '));
        Assert.True(standard.SignatureValid, "verified by the NuGet reference library");
        Assert.Equal("verified", await NodeVerifies(receiver.Secret, standard));
    }
}
