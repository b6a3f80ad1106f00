using Inlet.Notifications.Webhooks;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace Inlet.Notifications.Deliveries;

public static class LineDecisions
{
    /// <summary>
    /// The webhook's events for a final delivery: a failure counts, and the one that reaches the limit disables it
    /// (with an audit entry); a success after failures starts the count again.
    /// </summary>
    public static IReadOnlyList<object> ForWebhook(Webhook? webhook, WebhookDeliveryFinished finished, int disableAfter, DateTimeOffset now)
    {
        if (webhook is null)
            return [];
        switch (finished.End)
        {
            case DeliveryEnd.Failed:
                var failures = webhook.ConsecutiveFailures + 1;
                var gaveUp = new WebhookDeliveryGaveUp(webhook.Id, finished.DeliveryId, finished.Attempts, finished.LastError, now);
                return webhook.State == WebhookState.Active && failures >= disableAfter
                    ? [gaveUp, new WebhookDisabled(webhook.Id, failures,
                        $"{failures} deliveries in a row failed after {finished.Attempts} attempts each; last error: {finished.LastError ?? "unknown"}", now)]
                    : [gaveUp];
            case DeliveryEnd.Delivered when webhook.ConsecutiveFailures > 0:
                return [new WebhookRecovered(webhook.Id, finished.DeliveryId, now)];
            default:
                return [];
        }
    }

    /// <summary>The line after its head finished: the next delivery becomes the head and is sent; null when this delivery was not the head (said before).</summary>
    public static (DeliveryChain? Chain, DeliverWebhook? Next) Advance(DeliveryChain? chain, Guid finished)
    {
        if (chain is null || chain.Head != finished)
            return (null, null);
        if (chain.Waiting.Count == 0)
        {
            chain.Head = null;
            return (chain, null);
        }
        chain.Head = chain.Waiting[0];
        chain.Waiting.RemoveAt(0);
        return (chain, new DeliverWebhook(chain.Head.Value));
    }
}

/// <summary>
/// A delivery is final: an A-frame on Wolverine's aggregate workflow (the webhook's stream for writing) with the
/// subject's line loaded; the decisions are pure, and Wolverine appends, stores the line and sends the next delivery in
/// one transaction. No HTTP here, so a lost race (the line or the stream changed meanwhile) is simply run again.
/// </summary>
public static class WebhookDeliveryFinishedHandler
{
    public static Task<DeliveryChain?> LoadAsync(WebhookDeliveryFinished finished, IDocumentSession session, CancellationToken ct) =>
        session.LoadAsync<DeliveryChain>(finished.ChainId, ct);

    public static (Events, IMartenOp, OutgoingMessages) Handle(WebhookDeliveryFinished finished,
        [WriteAggregate(nameof(WebhookDeliveryFinished.WebhookId), Required = false)] Webhook? webhook,
        DeliveryChain? chain, IOptions<NotificationsOptions> options, TimeProvider clock)
    {
        var events = new Events();
        events.AddRange(LineDecisions.ForWebhook(webhook, finished, options.Value.DisableAfterFailures, clock.GetUtcNow()));
        var (line, next) = LineDecisions.Advance(chain, finished.DeliveryId);
        var messages = new OutgoingMessages();
        if (next is not null)
            messages.Add(next);
        return (events, line is null ? MartenOps.Nothing() : MartenOps.Store(line), messages);
    }
}
