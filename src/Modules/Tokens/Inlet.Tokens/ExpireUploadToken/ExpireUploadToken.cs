using Inlet.Tokens.Storage;
using Wolverine;
using Wolverine.Marten;

namespace Inlet.Tokens.ExpireUploadToken;

/// <summary>Scheduled for a token's valid_to when it is issued; durable, so it survives restarts.</summary>
public sealed record ExpireUploadToken(Guid Tid);

public sealed record UploadTokenExpired(Guid Tid, DateTimeOffset ValidTo, DateTimeOffset At);

/// <summary>The moment the expiry was looked at, fixed in the load step so that withdrawal and decision agree on it.</summary>
public sealed record ExpiryClock(DateTimeOffset Now);

/// <summary>
/// An A-frame on Wolverine's aggregate workflow: the token's stream is fetched for writing (optimistic
/// concurrency: two nodes firing the same expiry, a takeover or a retry, cannot both append; the loser is
/// retried, finds the token closed and stops), <see cref="Before"/> withdraws the stored access policy of a due
/// token, <see cref="Handle"/> decides, and Wolverine appends and sends in one transaction.
/// </summary>
public static class ExpireUploadTokenHandler
{
    public static async Task<ExpiryClock> Before(UploadToken? token, UploadTokenStorage storage, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // The stored policy expires by itself at valid_to; withdrawing it too makes that certain even where the
        // storage service's clock runs behind. Before the event: an expiry on record always has a dead SAS.
        if (UploadTokenDecisions.IsDueToExpire(token, now))
            await storage.Withdraw(token!.Account, token.Container, ct);
        return new ExpiryClock(now);
    }

    public static (Events, OutgoingMessages) Handle(
        ExpireUploadToken command,
        [WriteAggregate(nameof(ExpireUploadToken.Tid), Required = false)] UploadToken? token,
        ExpiryClock clock)
    {
        var decision = UploadTokenDecisions.Expire(token, clock.Now);
        var events = new Events();
        var messages = new OutgoingMessages();
        if (decision.Expired is { } expired)
            events.Add(expired);
        if (decision.Closed is { } closed)
            messages.Add(closed);
        if (decision.RetryAt is { } retryAt)
            messages.Add(command.ScheduledAt(retryAt)); // fired early (a clock disagreement between nodes)
        return (events, messages);
    }
}
