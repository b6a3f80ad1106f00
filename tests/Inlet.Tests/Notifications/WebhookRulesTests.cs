using System.Security.Cryptography;
using Inlet.Ingestion.Contracts;
using Inlet.Notifications;
using Inlet.Notifications.Deliveries;
using Inlet.Notifications.Notices;
using Inlet.Notifications.Webhooks;
using Inlet.Tokens.WarnExpiringToken;
using Wolverine;

namespace Inlet.Tests.Notifications;

/// <summary>The webhook rules and decisions, without a host.</summary>
public sealed class WebhookRulesTests
{
    [Theory]
    [InlineData("https://hooks.example.com/inlet", false, true)]
    [InlineData("https://hooks.example.com/inlet", true, true)]
    [InlineData("http://hooks.example.com/inlet", false, false)]
    [InlineData("http://hooks.example.com/inlet", true, false)]
    [InlineData("http://127.0.0.1:5000/hook", true, true)]
    [InlineData("http://localhost:5000/hook", true, true)]
    [InlineData("http://[::1]:5000/hook", true, true)]
    [InlineData("http://127.0.0.1:5000/hook", false, false)]
    [InlineData("https://127.0.0.1/hook", false, false)]
    [InlineData("https://localhost/hook", false, false)]
    [InlineData("https://10.1.2.3/hook", false, false)]
    [InlineData("https://172.20.0.1/hook", false, false)]
    [InlineData("https://192.168.1.10/hook", false, false)]
    [InlineData("https://169.254.169.254/latest/meta-data", false, false)]
    [InlineData("https://[fd00::1]/hook", false, false)]
    [InlineData("https://[::ffff:10.0.0.1]/hook", false, false)]
    [InlineData("https://intranet/hook", false, false)]
    [InlineData("https://8.8.8.8/hook", false, true)]
    [InlineData("https://user:secret@hooks.example.com/", false, false)]
    [InlineData("https://hooks.example.com/#x", false, false)]
    [InlineData("ftp://hooks.example.com/", true, false)]
    [InlineData("/relative", true, false)]
    [InlineData("", true, false)]
    public void URLs_need_https_and_a_public_host_except_loopback_in_Development(string url, bool development, bool allowed) =>
        Assert.Equal(allowed, WebhookRules.UrlProblem(url, development) is null);

    [Fact]
    public void Event_lists_must_name_known_types_once()
    {
        Assert.Null(WebhookRules.EventsProblem(["upload.routed", "token.expiring"]));
        Assert.NotNull(WebhookRules.EventsProblem([]));
        Assert.NotNull(WebhookRules.EventsProblem(null));
        Assert.Contains("'upload.exploded'", WebhookRules.EventsProblem(["upload.exploded"]));
        Assert.NotNull(WebhookRules.EventsProblem(["upload.routed", "upload.routed"]));
    }

    [Fact]
    public void The_audit_names_a_URL_by_its_origin_only()
    {
        Assert.Equal("https://hooks.example.com", WebhookRules.Origin("https://hooks.example.com/services/T0/B0/secretpart?x=1"));
    }

    [Fact]
    public void A_token_is_warned_three_days_before_valid_to_unless_valid_for_three_days_or_less()
    {
        var now = DateTimeOffset.Parse("2026-12-01T00:00:00Z");
        Assert.Equal(now.AddDays(27), ExpiryWarning.At(now, now.AddDays(30), now));
        Assert.Null(ExpiryWarning.At(now, now.AddDays(3), now));
        Assert.Null(ExpiryWarning.At(now, now.AddDays(2), now));
        Assert.Null(ExpiryWarning.At(now.AddDays(5), now.AddDays(7), now)); // valid for two days, from later on
    }

    private static readonly Notice Routed = NoticeTypes.For(new UploadOutcomeRecorded(Guid.NewGuid(), Guid.NewGuid(), "ws-1", "a/visits.csv", 12,
        UploadOutcome.Routed, "inbox/a/visits.csv", null, DateTimeOffset.Parse("2026-12-01T10:00:00Z")));

    [Fact]
    public void A_notice_is_a_CloudEvent_with_ids_names_and_sizes_and_a_stable_id()
    {
        var json = JsonDocument.Parse(CloudEventBody.For(Routed)).RootElement;
        Assert.Equal("1.0", json.Str("specversion"));
        Assert.Equal("org.inlet.upload.routed", json.Str("type"));
        Assert.Equal("/workspaces/ws-1", json.Str("source"));
        Assert.Equal(Routed.Subject, json.Str("subject"));
        Assert.Equal("application/json", json.Str("datacontenttype"));
        var data = json.GetProperty("data");
        Assert.Equal(("a/visits.csv", 12, "routed"), (data.Str("name"), data.GetProperty("size").GetInt64(), data.Str("state")));
        var again = NoticeTypes.For(new UploadOutcomeRecorded(Guid.Parse(Routed.Subject), Guid.NewGuid(), "ws-1", "a/visits.csv", 12,
            UploadOutcome.Routed, "inbox/a/visits.csv", null, DateTimeOffset.Parse("2026-12-01T10:00:00Z")));
        Assert.Equal(Routed.Id, again.Id); // a contract message delivered twice is one event
        Assert.Null(NoticeTypes.For(new Inlet.Tokens.Contracts.UploadTokenClosed(Guid.NewGuid(), "ws-1", "c", Inlet.Tokens.Contracts.UploadTokenClosedReason.Revoked, DateTimeOffset.UtcNow)));
    }

    private static WebhookSummary Hook(params string[] events) =>
        new() { Id = Guid.NewGuid(), Wsid = "ws-1", Url = "https://hooks.example.com/", Events = [.. events], State = WebhookState.Active };

    [Fact]
    public void The_fan_out_sends_the_first_delivery_of_a_subject_and_queues_the_next_behind_it()
    {
        var hook = Hook("upload.routed");
        var (op, messages) = FanOut.Decide(new FanOutState(Routed, [hook], new Dictionary<string, DeliveryChain>(), new HashSet<Guid>()), DateTimeOffset.UtcNow);
        var docs = ((StoreDocuments)op).Documents;
        var chain = docs.OfType<DeliveryChain>().Single();
        var first = docs.OfType<WebhookDelivery>().Single();
        Assert.Equal((first.Id, DeliveryStatus.Sending), (chain.Head!.Value, first.Status));
        Assert.Equal(first.Id, Assert.IsType<DeliverWebhook>(Assert.Single(messages)).DeliveryId);

        var later = Routed with { Id = "later" };
        var (op2, messages2) = FanOut.Decide(new FanOutState(later, [hook], new Dictionary<string, DeliveryChain> { [chain.Id] = chain }, new HashSet<Guid>()), DateTimeOffset.UtcNow);
        var second = ((StoreDocuments)op2).Documents.OfType<WebhookDelivery>().Single();
        Assert.Equal(DeliveryStatus.Queued, second.Status);
        Assert.Empty(messages2);
        Assert.Equal([second.Id], chain.Waiting);

        // Its turn comes when the head is final.
        var (advanced, next) = LineDecisions.Advance(chain, first.Id);
        Assert.Equal((second.Id, second.Id), (advanced!.Head!.Value, next!.DeliveryId));
        Assert.Equal((null, null), LineDecisions.Advance(chain, first.Id)); // said twice: nothing moves
    }

    [Fact]
    public void A_failed_attempt_is_retried_after_its_backoff_until_the_last_then_the_delivery_fails()
    {
        var options = new NotificationsOptions { RetryBackoff = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)] };
        var hook = new Webhook { Id = Guid.NewGuid(), State = WebhookState.Active };
        var delivery = new WebhookDelivery { Id = Guid.NewGuid(), WebhookId = hook.Id, Subject = "s", Status = DeliveryStatus.Sending };
        var now = DateTimeOffset.UtcNow;
        var failed = new AttemptOutcome(now, 500, "HTTP 500", 3);
        var (d1, next1) = DeliveryDecisions.After(new AttemptState(delivery, hook, failed), options, now);
        Assert.Equal(TimeSpan.FromSeconds(10), Assert.IsType<DeliveryMessage<DeliverWebhook>>(next1).Options.ScheduleDelay);
        var (_, next2) = DeliveryDecisions.After(new AttemptState(d1, hook, failed), options, now);
        Assert.Equal(TimeSpan.FromMinutes(1), Assert.IsType<DeliveryMessage<DeliverWebhook>>(next2).Options.ScheduleDelay);
        var (d3, next3) = DeliveryDecisions.After(new AttemptState(d1, hook, failed), options, now);
        Assert.Equal((DeliveryStatus.Failed, 3), (d3!.Status, d3.Attempts.Count));
        Assert.Equal(DeliveryEnd.Failed, Assert.IsType<WebhookDeliveryFinished>(next3).End);
        Assert.Equal((null, null), DeliveryDecisions.After(new AttemptState(d3, hook, failed), options, now)); // final stays final

        var other = new WebhookDelivery { Id = Guid.NewGuid(), WebhookId = hook.Id, Subject = "s", Status = DeliveryStatus.Sending };
        var (ok, end) = DeliveryDecisions.After(new AttemptState(other, hook, new AttemptOutcome(now, 204, null, 2)), options, now);
        Assert.Equal((DeliveryStatus.Delivered, DeliveryEnd.Delivered), (ok!.Status, Assert.IsType<WebhookDeliveryFinished>(end).End));
        var skipped = new WebhookDelivery { Id = Guid.NewGuid(), WebhookId = hook.Id, Subject = "s", Status = DeliveryStatus.Queued };
        var (s, sEnd) = DeliveryDecisions.After(new AttemptState(skipped, hook, null), options, now);
        Assert.Equal((DeliveryStatus.Skipped, DeliveryEnd.Skipped), (s!.Status, Assert.IsType<WebhookDeliveryFinished>(sEnd).End));
    }

    [Fact]
    public void The_failure_that_reaches_the_limit_disables_the_webhook_and_a_success_resets_the_count()
    {
        var hook = new Webhook { Id = Guid.NewGuid(), State = WebhookState.Active, ConsecutiveFailures = 1 };
        var failed = new WebhookDeliveryFinished(hook.Id, Guid.NewGuid(), "c", DeliveryEnd.Failed, 3, "HTTP 500");
        Assert.Single(LineDecisions.ForWebhook(hook, failed, 3, DateTimeOffset.UtcNow));
        var events = LineDecisions.ForWebhook(hook, failed, 2, DateTimeOffset.UtcNow);
        Assert.IsType<WebhookDisabled>(events[1]);
        Assert.IsType<WebhookRecovered>(Assert.Single(LineDecisions.ForWebhook(hook, failed with { End = DeliveryEnd.Delivered }, 2, DateTimeOffset.UtcNow)));
        Assert.Empty(LineDecisions.ForWebhook(hook, failed with { End = DeliveryEnd.Skipped }, 2, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Only_a_disabled_webhook_is_enabled_and_enabling_starts_the_failure_count_again()
    {
        var now = DateTimeOffset.UtcNow;
        var hook = new Webhook { Id = Guid.NewGuid(), State = WebhookState.Active, ConsecutiveFailures = 5 };
        Assert.Null(EnableWebhookDecision.Decide(hook, "bob", now)); // active: no change, no second audit entry
        Assert.Null(EnableWebhookDecision.Decide(null, "bob", now));
        hook.Apply(new WebhookDisabled(hook.Id, 5, "5 deliveries in a row failed", now));
        var enabled = EnableWebhookDecision.Decide(hook, "bob", now);
        Assert.Equal(new WebhookEnabled(hook.Id, "bob", now), enabled);
        hook.Apply(enabled!);
        Assert.Equal((WebhookState.Active, 0), (hook.State, hook.ConsecutiveFailures));
        hook.Apply(new WebhookDeleted(hook.Id, "alice", now));
        Assert.Null(EnableWebhookDecision.Decide(hook, "bob", now));
        hook.Apply(new WebhookEnabled(hook.Id, "bob", now)); // a deleted webhook stays deleted, whatever is appended
        Assert.Equal(WebhookState.Deleted, hook.State);
    }
}
