namespace Inlet.Notifications.Deliveries;

public enum DeliveryStatus
{
    /// <summary>Waits for an earlier delivery of the same webhook and subject to finish (ordering).</summary>
    Queued,

    /// <summary>Being attempted, or waiting for its next attempt.</summary>
    Sending,

    Delivered,

    /// <summary>Every attempt failed.</summary>
    Failed,

    /// <summary>Not sent: the webhook was disabled or deleted before its turn.</summary>
    Skipped,
}

/// <summary>One attempt: when, how it ended (the receiver's status code, or the error), how long it took.</summary>
public sealed record DeliveryAttempt(int Number, DateTimeOffset At, int? StatusCode, string? Error, long DurationMs);

/// <summary>
/// One event for one webhook: the exact bytes every attempt posts (a CloudEvent, built once), and the log of its attempts.
/// Only the delivery handler changes it after the fan-out created it.
/// </summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; set; }
    public Guid WebhookId { get; set; }
    public string Wsid { get; set; } = "";
    public string EventId { get; set; } = "";
    public string Type { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Body { get; set; } = "";
    public DeliveryStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public List<DeliveryAttempt> Attempts { get; set; } = [];

    public bool IsFinal => Status is DeliveryStatus.Delivered or DeliveryStatus.Failed or DeliveryStatus.Skipped;
}

/// <summary>
/// The order of one webhook's deliveries about one subject (an upload, a token): at most one is being sent (the head),
/// the others wait in line. Optimistic concurrency: two handlers that change the same line at once cannot both commit;
/// the loser is retried (the conflict policy) on the winner's state, so a delivery is never left waiting behind nothing.
/// </summary>
public sealed class DeliveryChain
{
    public string Id { get; set; } = "";
    public Guid? Head { get; set; }
    public List<Guid> Waiting { get; set; } = [];

    [Marten.Schema.Version]
    public Guid Version { get; set; }

    public static string IdFor(Guid webhookId, string subject) => $"{webhookId}/{subject}";
}

/// <summary>Attempt the delivery now (sent by the fan-out, by the chain when its turn comes, and scheduled for each retry).</summary>
public sealed record DeliverWebhook(Guid DeliveryId);

public enum DeliveryEnd
{
    Delivered,
    Failed,
    Skipped,
}

/// <summary>A delivery is final: the webhook's count of failures and the subject's line move on.</summary>
public sealed record WebhookDeliveryFinished(Guid WebhookId, Guid DeliveryId, string ChainId, DeliveryEnd End, int Attempts, string? LastError);
