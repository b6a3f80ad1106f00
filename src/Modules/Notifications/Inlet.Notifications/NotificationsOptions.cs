namespace Inlet.Notifications;

/// <summary>Webhook delivery settings (section <c>Webhooks</c>).</summary>
public sealed class NotificationsOptions
{
    /// <summary>Used when <see cref="RetryBackoff"/> is not configured: about 2.6 hours from the first attempt to the last.</summary>
    public static readonly TimeSpan[] DefaultBackoff = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2)];

    /// <summary>
    /// How long to wait before each further attempt of a delivery; one attempt more than there are entries. Empty here and
    /// filled with <see cref="DefaultBackoff"/> after binding, because the configuration binder appends to an array it finds.
    /// </summary>
    public TimeSpan[] RetryBackoff { get; set; } = [];

    /// <summary>Deliveries given up in a row (every attempt failed) after which the webhook is disabled.</summary>
    public int DisableAfterFailures { get; set; } = 5;

    /// <summary>How long one attempt may take, connecting included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Plain http to loopback addresses (a receiver on the developer's machine); set from the environment (Development).</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>How long after a rotation deliveries are still signed with the previous secret too (standard scheme only).</summary>
    public TimeSpan SecretRotationGrace { get; set; } = TimeSpan.FromHours(24);

    public int MaxAttempts => RetryBackoff.Length + 1;
}
