namespace Inlet.Notifications;

/// <summary>Webhook delivery settings (section <c>Webhooks</c>).</summary>
public sealed class NotificationsOptions
{
    /// <summary>How long to wait before each further attempt of a delivery; one attempt more than there are entries.</summary>
    public TimeSpan[] RetryBackoff { get; set; } = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2)];

    /// <summary>Deliveries given up in a row (every attempt failed) after which the webhook is disabled.</summary>
    public int DisableAfterFailures { get; set; } = 5;

    /// <summary>How long one attempt may take, connecting included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Plain http to loopback addresses (a receiver on the developer's machine); set from the environment (Development).</summary>
    public bool AllowLoopback { get; set; }

    public int MaxAttempts => RetryBackoff.Length + 1;
}
