using Inlet.Notifications.Webhooks;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace Inlet.Notifications.Deliveries;

/// <summary>What the load step of an attempt found and did: the delivery, and the attempt's outcome (null when nothing was sent).</summary>
public sealed record AttemptState(WebhookDelivery? Delivery, Webhook? Webhook, AttemptOutcome? Outcome);

/// <summary>The decisions of deliveries (pure; tests/Inlet.Tests/Notifications).</summary>
public static class DeliveryDecisions
{
    /// <summary>Whether the delivery is to be attempted at all: it is in flight and its webhook still takes deliveries.</summary>
    public static bool Attempts(WebhookDelivery? delivery, Webhook? webhook) =>
        delivery is { Status: DeliveryStatus.Sending or DeliveryStatus.Queued } && webhook is { State: WebhookState.Active };

    /// <summary>
    /// After an attempt (or the finding that none is to be made): the delivery as it now stands, and what follows, the
    /// next attempt scheduled after its backoff, or, once it is final, the news that lets its line and its webhook move on.
    /// </summary>
    public static (WebhookDelivery? Delivery, object? Next) After(AttemptState state, NotificationsOptions options, DateTimeOffset now)
    {
        if (state.Delivery is not { IsFinal: false } delivery)
            return (null, null); // unknown, or finished before (a re-delivered message)
        if (state.Outcome is not { } outcome)
        {
            delivery.Status = DeliveryStatus.Skipped;
            delivery.FinishedAt = now;
            return (delivery, Finished(delivery, DeliveryEnd.Skipped, null));
        }
        delivery.Status = DeliveryStatus.Sending; // a queued one's turn came
        delivery.Attempts.Add(new DeliveryAttempt(delivery.Attempts.Count + 1, outcome.At, outcome.StatusCode, outcome.Error, outcome.DurationMs));
        if (outcome.Succeeded)
        {
            delivery.Status = DeliveryStatus.Delivered;
            delivery.FinishedAt = now;
            return (delivery, Finished(delivery, DeliveryEnd.Delivered, null));
        }
        if (delivery.Attempts.Count < options.MaxAttempts)
            return (delivery, new DeliverWebhook(delivery.Id).DelayedFor(options.RetryBackoff[delivery.Attempts.Count - 1]));
        delivery.Status = DeliveryStatus.Failed;
        delivery.FinishedAt = now;
        return (delivery, Finished(delivery, DeliveryEnd.Failed, outcome.Error));
    }

    private static WebhookDeliveryFinished Finished(WebhookDelivery d, DeliveryEnd end, string? error) =>
        new(d.WebhookId, d.Id, DeliveryChain.IdFor(d.WebhookId, d.Subject), end, d.Attempts.Count, error);
}

/// <summary>
/// One attempt, an A-frame: <see cref="LoadAsync"/> loads the delivery and its webhook and, if it is to be attempted,
/// posts it (the I/O this message exists for); <see cref="Handle"/> decides, and Wolverine stores the attempt together
/// with the scheduled retry or the delivery's end (the outbox), in one transaction: an attempt is never logged without
/// what follows it, nor a retry scheduled without its attempt on record.
/// </summary>
public static class DeliverWebhookHandler
{
    public const string ProtectorPurpose = "Inlet.Notifications.WebhookSecret";

    public static async Task<AttemptState> LoadAsync(DeliverWebhook command, IDocumentSession session, WebhookSender sender,
        IDataProtectionProvider protection, CancellationToken ct)
    {
        var delivery = await session.LoadAsync<WebhookDelivery>(command.DeliveryId, ct);
        if (delivery is null || delivery.IsFinal)
            return new AttemptState(delivery, null, null);
        var webhook = await session.Events.AggregateStreamAsync<Webhook>(delivery.WebhookId, token: ct);
        if (!DeliveryDecisions.Attempts(delivery, webhook))
            return new AttemptState(delivery, webhook, null);
        var secret = await session.LoadAsync<WebhookSecret>(delivery.WebhookId, ct);
        if (secret is null)
            return new AttemptState(delivery, webhook, null);
        var keys = secret.Keys(protection.CreateProtector(ProtectorPurpose));
        return new AttemptState(delivery, webhook, await sender.Send(webhook!.Url, keys, delivery, ct));
    }

    public static (IMartenOp, OutgoingMessages) Handle(DeliverWebhook command, AttemptState state, IOptions<NotificationsOptions> options, TimeProvider clock)
    {
        var (delivery, next) = DeliveryDecisions.After(state, options.Value, clock.GetUtcNow());
        var messages = new OutgoingMessages();
        if (next is not null)
            messages.Add(next);
        return (delivery is null ? MartenOps.Nothing() : MartenOps.Store(delivery), messages);
    }
}
