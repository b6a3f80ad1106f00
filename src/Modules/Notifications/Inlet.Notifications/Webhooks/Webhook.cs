using Inlet.BuildingBlocks.Audit;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Inlet.Notifications.Webhooks;

/// <param name="Signing">How its deliveries are signed; null in events from before the standard scheme, which are <see cref="WebhookSigning.Legacy"/>.</param>
public sealed record WebhookCreated(Guid Id, string Wsid, string Url, IReadOnlyList<string> Events, string CreatedBy, DateTimeOffset At,
    WebhookSigning? Signing = null);

public sealed record WebhookDeleted(Guid Id, string By, DateTimeOffset At);

/// <summary>Every attempt of a delivery failed; counted towards disabling the webhook.</summary>
public sealed record WebhookDeliveryGaveUp(Guid Id, Guid DeliveryId, int Attempts, string? LastError, DateTimeOffset At);

/// <summary>A delivery succeeded after deliveries had been given up: the count of failures in a row starts again.</summary>
public sealed record WebhookRecovered(Guid Id, Guid DeliveryId, DateTimeOffset At);

/// <summary>Disabled after <paramref name="Failures"/> deliveries in a row were given up; nothing is sent to it any more.</summary>
public sealed record WebhookDisabled(Guid Id, int Failures, string Reason, DateTimeOffset At);

/// <summary>A member turned a disabled webhook back on: deliveries start again with new notices, and the count of failures starts at zero.</summary>
public sealed record WebhookEnabled(Guid Id, string By, DateTimeOffset At);

/// <summary>
/// A member replaced the signing secret (the secret itself is never in an event). Deliveries are signed the standard way from
/// now on; until <paramref name="PreviousValidUntil"/> also with the previous secret, null when there is no grace (the
/// previous scheme was <see cref="WebhookSigning.Legacy"/>, whose header cannot carry two signatures).
/// </summary>
public sealed record WebhookSecretRotated(Guid Id, string By, DateTimeOffset At, WebhookSigning From, DateTimeOffset? PreviousValidUntil);

public enum WebhookState
{
    Active,
    Disabled,
    Deleted,
}

/// <summary>The write model of one webhook, rebuilt from its stream (live aggregation); its secret is a separate, protected document.</summary>
public sealed class Webhook
{
    public Guid Id { get; set; }
    public string Wsid { get; set; } = "";
    public string Url { get; set; } = "";
    public List<string> Events { get; set; } = [];
    public WebhookState State { get; set; }
    public int ConsecutiveFailures { get; set; }
    public WebhookSigning Signing { get; set; }

    public static Webhook Create(WebhookCreated e) => new() { Id = e.Id, Wsid = e.Wsid, Url = e.Url, Events = [.. e.Events], Signing = e.Signing ?? WebhookSigning.Legacy };

    public void Apply(WebhookSecretRotated _) => Signing = WebhookSigning.Standard;

    public void Apply(WebhookDeleted _) => State = WebhookState.Deleted;

    public void Apply(WebhookDeliveryGaveUp _) => ConsecutiveFailures++;

    public void Apply(WebhookRecovered _) => ConsecutiveFailures = 0;

    public void Apply(WebhookDisabled _)
    {
        if (State == WebhookState.Active)
            State = WebhookState.Disabled;
    }

    public void Apply(WebhookEnabled _)
    {
        if (State != WebhookState.Disabled)
            return;
        State = WebhookState.Active;
        ConsecutiveFailures = 0;
    }
}

/// <summary>The listing: one document per webhook, an inline projection (never loaded by a decision but the fan-out's lookup).</summary>
public sealed class WebhookSummary
{
    public Guid Id { get; set; }
    public string Wsid { get; set; } = "";
    public string Url { get; set; } = "";
    public List<string> Events { get; set; } = [];
    public WebhookState State { get; set; }
    public string CreatedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public int ConsecutiveFailures { get; set; }
    public DateTimeOffset? DisabledAt { get; set; }
    public string? DisabledReason { get; set; }

    /// <summary>Null in listings stored before the standard scheme: those webhooks are <see cref="WebhookSigning.Legacy"/>.</summary>
    public WebhookSigning? Signing { get; set; }
    public DateTimeOffset? SecretRotatedAt { get; set; }
    public DateTimeOffset? PreviousSecretValidUntil { get; set; }
}

public sealed class WebhookSummaryProjection : SingleStreamProjection<WebhookSummary, Guid>
{
    public static WebhookSummary Create(WebhookCreated e) => new()
    {
        Id = e.Id, Wsid = e.Wsid, Url = e.Url, Events = [.. e.Events], CreatedBy = e.CreatedBy, CreatedAt = e.At, State = WebhookState.Active,
        Signing = e.Signing ?? WebhookSigning.Legacy,
    };

    public void Apply(WebhookSecretRotated e, WebhookSummary s)
    {
        s.Signing = WebhookSigning.Standard;
        s.SecretRotatedAt = e.At;
        s.PreviousSecretValidUntil = e.PreviousValidUntil;
    }

    public void Apply(WebhookDeleted _, WebhookSummary s) => s.State = WebhookState.Deleted;

    public void Apply(WebhookDeliveryGaveUp _, WebhookSummary s) => s.ConsecutiveFailures++;

    public void Apply(WebhookRecovered _, WebhookSummary s) => s.ConsecutiveFailures = 0;

    public void Apply(WebhookDisabled e, WebhookSummary s)
    {
        if (s.State != WebhookState.Active)
            return;
        s.State = WebhookState.Disabled;
        s.DisabledAt = e.At;
        s.DisabledReason = e.Reason;
    }

    public void Apply(WebhookEnabled _, WebhookSummary s)
    {
        if (s.State != WebhookState.Disabled)
            return;
        s.State = WebhookState.Active;
        s.ConsecutiveFailures = 0;
        s.DisabledAt = null;
        s.DisabledReason = null;
    }
}

/// <summary>The webhook's part of the workspace's audit trail (ADR 18): created, deleted, disabled, enabled, secret rotated. Deliveries are listed at the webhook.</summary>
public static class WebhookAudit
{
    public static AuditFact? Map(IEvent e) => e.Data switch
    {
        WebhookCreated c => new AuditFact(c.Wsid, new AuditEntry(null, "webhook_created", c.At, c.CreatedBy, new Dictionary<string, object?>
        {
            ["webhook"] = c.Id, ["url"] = WebhookRules.Origin(c.Url), ["events"] = c.Events,
        })),
        WebhookDeleted d => new AuditFact(null, new AuditEntry(null, "webhook_deleted", d.At, d.By, new Dictionary<string, object?> { ["webhook"] = d.Id })),
        WebhookDisabled x => new AuditFact(null, new AuditEntry(null, "webhook_disabled", x.At, null, new Dictionary<string, object?>
        {
            ["webhook"] = x.Id, ["failures"] = x.Failures, ["reason"] = x.Reason,
        })),
        WebhookEnabled x => new AuditFact(null, new AuditEntry(null, "webhook_enabled", x.At, x.By, new Dictionary<string, object?> { ["webhook"] = x.Id })),
        WebhookSecretRotated r => new AuditFact(null, new AuditEntry(null, "webhook_secret_rotated", r.At, r.By, new Dictionary<string, object?>
        {
            ["webhook"] = r.Id, ["from"] = r.From, ["previous_valid_until"] = r.PreviousValidUntil,
        })),
        WebhookDeliveryGaveUp or WebhookRecovered => new AuditFact(null, null),
        _ => null,
    };
}
