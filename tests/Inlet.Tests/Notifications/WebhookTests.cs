using Inlet.Notifications.Deliveries;
using Inlet.Tokens.WarnExpiringToken;
using Microsoft.AspNetCore.Hosting;
using Wolverine.Tracking;

namespace Inlet.Tests.Notifications;

/// <summary>Short retries and an early disable, so that a test sees them in seconds.</summary>
public sealed class WebhookApp : InletApp
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Webhooks:RetryBackoff:0", "00:00:01.5");
        builder.UseSetting("Webhooks:DisableAfterFailures", "2");
        builder.UseSetting("Webhooks:Timeout", "00:00:05");
    }
}

/// <summary>Webhooks end to end: a real Host, real uploads with AzCopy, a real HTTP receiver on loopback (docs/adr/0029-webhooks.md).</summary>
public sealed class WebhookTests(WebhookApp app) : IClassFixture<WebhookApp>
{
    private static async Task<JsonElement> Create(HttpClient client, string ws, WebhookReceiver receiver, params string[] events)
    {
        var response = await client.PostAsJsonAsync($"/api/workspaces/{ws}/webhooks", new { url = receiver.Url, events });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {text}");
        var created = JsonDocument.Parse(text).RootElement.Clone();
        receiver.Secret = created.Str("secret");
        return created;
    }

    [Fact]
    public async Task Deliveries_are_signed_CloudEvents_retried_after_a_500_and_in_order_for_one_upload()
    {
        var ws = InletApp.NewWorkspace("hook");
        var alice = await app.SignedIn("alice", ws);
        Assert.Equal(HttpStatusCode.OK, (await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { inbox_approval = true })).StatusCode);
        await using var receiver = new WebhookReceiver { Answer = n => n == 1 ? 500 : 200 };
        var hook = await Create(alice, ws, receiver, "upload.review_needed", "upload.routed");
        Assert.StartsWith("whsec_", receiver.Secret);
        var listed = (await alice.GetJson($"/api/workspaces/{ws}/webhooks")).EnumerateArray().Single();
        Assert.Equal((hook.Str("id"), "active"), (listed.Str("id"), listed.Str("state")));
        Assert.False(listed.TryGetProperty("secret", out _), "the secret is shown once, never listed");
        Assert.DoesNotContain(receiver.Secret, listed.GetRawText());

        var token = await alice.Issue(ws);
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("visits.csv", "fine data")), 1);
        // Approved while the first delivery (review needed) waits for its retry: the routed one must wait behind it.
        await receiver.Until(r => r.Count >= 1, "the first attempt");
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Single();
        var upload = inbox.Str("id"); // the upload's id
        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync($"/api/workspaces/{ws}/inbox/{inbox.Str("id")}/approve", null)).StatusCode);
        var received = await receiver.Until(r => r.Count >= 3, "review needed (500, then 200), then routed");

        Assert.All(received, r => Assert.True(r.SignatureValid, $"signature {r.Signature} of {r.Id}"));
        Assert.Equal([500, 200, 200], received.Select(r => r.Answered));
        var types = received.Select(r => r.Json.GetProperty("type").GetString()).ToList();
        Assert.Equal(["org.inlet.upload.review_needed", "org.inlet.upload.review_needed", "org.inlet.upload.routed"], types);
        Assert.Equal(received[0].Id, received[1].Id); // the retry is the same event
        Assert.NotEqual(received[1].Id, received[2].Id);
        Assert.All(received, r => Assert.StartsWith("application/cloudevents+json", r.ContentType));
        var routed = received[2].Json;
        Assert.Equal("1.0", routed.Str("specversion"));
        Assert.Equal($"/workspaces/{ws}", routed.Str("source"));
        Assert.Equal(upload, routed.Str("subject"));
        Assert.Equal(routed.Str("id"), received[2].Id);
        var data = routed.GetProperty("data");
        Assert.Equal(("visits.csv", 9, "routed", "inbox/visits.csv"), (data.Str("name"), data.GetProperty("size").GetInt64(), data.Str("state"), data.Str("location")));
        foreach (var r in received)
        {
            var text = System.Text.Encoding.UTF8.GetString(r.Body);
            Assert.DoesNotContain("fine data", text);          // no file content
            Assert.DoesNotContain("sig=", text);               // no SAS
            Assert.DoesNotContain(receiver.Secret, text);
        }

        var deliveries = (await alice.GetJson($"/api/workspaces/{ws}/webhooks/{hook.Str("id")}/deliveries")).EnumerateArray().ToList();
        Assert.Equal(2, deliveries.Count);
        var review = deliveries.Single(d => d.Str("type") == "upload.review_needed");
        Assert.Equal("delivered", review.Str("status"));
        Assert.Equal([500, 200], review.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("status_code").GetInt32()));
        Assert.All(review.GetProperty("attempts").EnumerateArray(), a => Assert.True(a.GetProperty("duration_ms").GetInt64() >= 0));
        Assert.Contains("500", review.GetProperty("attempts")[0].Str("error"));
        Assert.Equal("delivered", deliveries.Single(d => d.Str("type") == "upload.routed").Str("status"));
    }

    [Fact]
    public async Task A_webhook_that_keeps_failing_is_disabled_with_an_audit_entry_and_gets_nothing_more()
    {
        var ws = InletApp.NewWorkspace("hookfail");
        var alice = await app.SignedIn("alice", ws);
        await using var receiver = new WebhookReceiver { Answer = _ => 500 };
        var hook = await Create(alice, ws, receiver, "upload.routed");
        var id = Guid.Parse(hook.Str("id"));
        var token = await alice.Issue(ws);

        // Two uploads, each delivery tried twice (backoff 1.5 s): two given up in a row disables the webhook.
        await app.Host.Until(new Handled<WebhookDeliveryFinished>(f => f.WebhookId == id, 2),
            () => AzCopy.Upload(LocalFiles.Folder(("a.csv", "1"), ("b.csv", "2")), token), 90);
        Assert.Equal(4, receiver.Received.Count);
        Assert.All(receiver.Received, r => Assert.True(r.SignatureValid));

        var state = await alice.GetJson($"/api/workspaces/{ws}/webhooks/{id}");
        Assert.Equal("disabled", state.Str("state"));
        Assert.Contains("2 deliveries in a row failed", state.Str("disabled_reason"));
        var deliveries = (await alice.GetJson($"/api/workspaces/{ws}/webhooks/{id}/deliveries")).EnumerateArray().ToList();
        Assert.All(deliveries, d => Assert.Equal(("failed", 2), (d.Str("status"), d.GetProperty("attempts").GetArrayLength())));
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray().ToList();
        Assert.Equal("alice", audit.Single(e => e.Str("type") == "webhook_created").Str("by"));
        var disabled = audit.Single(e => e.Str("type") == "webhook_disabled");
        Assert.Equal(id.ToString(), disabled.GetProperty("details").Str("webhook"));
        Assert.DoesNotContain(receiver.Secret, string.Join("", audit.Select(e => e.GetRawText())));

        // Disabled: a further upload is not delivered.
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("c.csv", "3")), 1);
        Assert.Equal(4, receiver.Received.Count);

        // The receiver mended, a member enables the webhook: new events are delivered again, the missed one is not resent.
        receiver.Answer = _ => 200;
        var bob = await app.SignedIn("bob", ws);
        var enabling = await bob.PostAsync($"/api/workspaces/{ws}/webhooks/{id}/enable", null);
        Assert.Equal(HttpStatusCode.OK, enabling.StatusCode);
        var enabled = JsonDocument.Parse(await enabling.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("active", 0), (enabled.Str("state"), enabled.GetProperty("consecutive_failures").GetInt32()));
        Assert.Equal(JsonValueKind.Null, enabled.GetProperty("disabled_reason").ValueKind);
        // Twice is no change (and no second audit entry); an unknown webhook is not found.
        Assert.Equal(HttpStatusCode.OK, (await bob.PostAsync($"/api/workspaces/{ws}/webhooks/{id}/enable", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/workspaces/{ws}/webhooks/{Guid.NewGuid()}/enable", null)).StatusCode);
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("d.csv", "4")), 1);
        var delivered = await receiver.Until(r => r.Any(d => d.Json.GetProperty("data").Str("name") == "d.csv"), "upload.routed for d.csv");
        Assert.DoesNotContain(delivered, d => d.Json.GetProperty("data").Str("name") == "c.csv");
        Assert.True(delivered.Single(d => d.Json.GetProperty("data").Str("name") == "d.csv").SignatureValid);
        audit = (await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray().ToList();
        var enabledEntry = audit.Single(e => e.Str("type") == "webhook_enabled");
        Assert.Equal(("bob", id.ToString()), (enabledEntry.Str("by"), enabledEntry.GetProperty("details").Str("webhook")));
    }

    [Fact]
    public async Task A_database_tokens_files_are_told_as_table_loaded_and_table_refused_with_rows_and_reason()
    {
        var ws = InletApp.NewWorkspace("hookdb");
        var alice = await app.SignedIn("alice", ws);
        await using var receiver = new WebhookReceiver();
        await Create(alice, ws, receiver, "table.loaded", "table.refused");
        var token = await alice.Issue(ws, new { reason = "tables", upload_to_database = true });
        const string schema = """{ "fields": [ { "name": "id", "type": "integer" } ] }""";
        // The schema first, so that the bad CSV is refused by it rather than loaded with guessed types.
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("bad.schema.json", schema)), 1);
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("good.csv", "id,name\n1,a\n2,b\n"), ("bad.csv", "id\nnot-a-number\n")), 2);
        static bool Told(IReadOnlyList<ReceivedDelivery> r, string name) => r.Any(d => d.Json.GetProperty("data").Str("name") == name);
        // The schema is a file the database takes too, and may be told as loaded; only the two CSVs are asserted on.
        var received = await receiver.Until(r => Told(r, "good.csv") && Told(r, "bad.csv"), "table.loaded for good.csv and table.refused for bad.csv");
        Assert.All(received, r => Assert.True(r.SignatureValid));
        var byName = received.Select(r => r.Json).GroupBy(e => e.GetProperty("data").Str("name")).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal("org.inlet.table.loaded", byName["good.csv"].Str("type"));
        Assert.Equal(2, byName["good.csv"].GetProperty("data").GetProperty("rows_loaded").GetInt64());
        Assert.Equal("org.inlet.table.refused", byName["bad.csv"].Str("type"));
        Assert.False(string.IsNullOrEmpty(byName["bad.csv"].GetProperty("data").Str("reason")));
        Assert.StartsWith("inbox/", byName["bad.csv"].GetProperty("data").Str("location"));
    }

    [Fact]
    public async Task A_token_expiring_in_three_days_is_told_to_the_workspaces_webhook()
    {
        var ws = InletApp.NewWorkspace("hooktok");
        var alice = await app.SignedIn("alice", ws);
        await using var receiver = new WebhookReceiver();
        var hook = await Create(alice, ws, receiver, "token.expiring", "token.expired");
        var token = await alice.Issue(ws);
        var tid = Guid.Parse(token.Str("tid"));
        // The warning is scheduled for valid_to − 3 days (30 days ahead); fired here as the scheduler would.
        await app.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).DoNotAssertOnExceptionsDetected()
            .WaitForCondition(new Handled<WebhookDeliveryFinished>(f => f.WebhookId == Guid.Parse(hook.Str("id"))))
            .ExecuteAndWaitAsync((Wolverine.IMessageContext bus) => bus.InvokeAsync(new WarnUploadTokenExpiring(tid)));
        var delivered = Assert.Single(receiver.Received);
        Assert.True(delivered.SignatureValid);
        var e = delivered.Json;
        Assert.Equal(("org.inlet.token.expiring", tid.ToString()), (e.Str("type"), e.Str("subject")));
        Assert.Equal(token.GetProperty("valid_to").GetDateTimeOffset(), e.GetProperty("data").GetProperty("valid_to").GetDateTimeOffset());
        Assert.DoesNotContain("sig=", System.Text.Encoding.UTF8.GetString(delivered.Body));
    }

    [Fact]
    public async Task Webhook_URLs_and_events_are_validated_naming_the_field_and_a_deleted_webhook_is_gone()
    {
        var ws = InletApp.NewWorkspace("hookval");
        var alice = await app.SignedIn("alice", ws);
        foreach (var (url, events, field) in new (string?, string[]?, string)[]
        {
            (null, ["upload.routed"], "url"),
            ("ftp://127.0.0.1/x", ["upload.routed"], "url"),
            ("http://example.com/hook", ["upload.routed"], "url"),   // plain http only to loopback, even in Development
            ("https://user:pw@example.com/hook", ["upload.routed"], "url"),
            ("https://example.com/hook", [], "events"),
            ("https://example.com/hook", ["upload.exploded"], "events"),
        })
        {
            var response = await alice.PostAsJsonAsync($"/api/workspaces/{ws}/webhooks", new { url, events });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{url}: {problem}");
        }
        await using var receiver = new WebhookReceiver();
        var hook = await Create(alice, ws, receiver, "upload.routed");
        var bob = await app.SignedIn("bob", "other-" + ws[..10]);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/workspaces/{ws}/webhooks")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/webhooks/{hook.Str("id")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/workspaces/{ws}/webhooks/{hook.Str("id")}")).StatusCode);
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/webhooks")).EnumerateArray());
        Assert.Contains((await alice.GetJson($"/api/workspaces/{ws}/audit")).EnumerateArray(), e => e.Str("type") == "webhook_deleted");
    }
}
