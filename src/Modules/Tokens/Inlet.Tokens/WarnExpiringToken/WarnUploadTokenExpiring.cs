using Inlet.Tokens.Contracts;
using Wolverine;
using Wolverine.Marten;

namespace Inlet.Tokens.WarnExpiringToken;

/// <summary>Scheduled, durably, for three days before a token's valid_to when it is issued (docs/adr/0029-webhooks.md).</summary>
public sealed record WarnUploadTokenExpiring(Guid Tid);

public static class ExpiryWarning
{
    public static readonly TimeSpan Ahead = TimeSpan.FromDays(3);

    /// <summary>When to warn that a token expires: three days before valid_to; null for a token valid for three days or less from now.</summary>
    public static DateTimeOffset? At(DateTimeOffset validFrom, DateTimeOffset validTo, DateTimeOffset now)
    {
        var at = validTo - Ahead;
        return at > now && at > validFrom ? at : null;
    }

    /// <summary>An open token is announced as expiring; a closed or unknown one (revoked meanwhile, say) is not.</summary>
    public static UploadTokenExpiring? Decide(UploadToken? token, DateTimeOffset now) =>
        token is null || token.IsClosed || now >= token.ValidTo ? null : new UploadTokenExpiring(token.Id, token.Wsid, token.Container, token.ValidTo, now);
}

/// <summary>An A-frame: the token's stream is read, the decision is pure, Wolverine publishes through the outbox.</summary>
public static class WarnUploadTokenExpiringHandler
{
    public static OutgoingMessages Handle(WarnUploadTokenExpiring command,
        [ReadAggregate(nameof(WarnUploadTokenExpiring.Tid), Required = false)] UploadToken? token, TimeProvider clock)
    {
        var messages = new OutgoingMessages();
        if (ExpiryWarning.Decide(token, clock.GetUtcNow()) is { } expiring)
            messages.Add(expiring);
        return messages;
    }
}
