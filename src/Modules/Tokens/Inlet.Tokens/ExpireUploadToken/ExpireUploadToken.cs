using Inlet.Tokens.Contracts;
using Inlet.Tokens.ListUploadTokens;
using Inlet.Tokens.Storage;
using Marten;
using Wolverine;

namespace Inlet.Tokens.ExpireUploadToken;

/// <summary>Scheduled for a token's valid_to when it is issued; durable, so it survives restarts.</summary>
public sealed record ExpireUploadToken(Guid Tid);

public sealed record UploadTokenExpired(Guid Tid, DateTimeOffset ValidTo, DateTimeOffset At);

public static class ExpireUploadTokenHandler
{
    public static async Task Handle(
        ExpireUploadToken command,
        IDocumentSession session,
        UploadTokenStorage storage,
        TimeProvider clock,
        IMessageBus bus,
        CancellationToken ct)
    {
        // Optimistic concurrency on the token's stream: two nodes firing the same expiry (a takeover, a
        // retry) cannot both append; the loser retries, finds the token closed and stops.
        var stream = await session.Events.FetchForWriting<UploadTokenSummary>(command.Tid, ct);
        var token = stream.Aggregate;
        if (token is null || token.IsClosed)
            return;

        var now = clock.GetUtcNow();
        if (now < token.ValidTo)
        {
            // Fired early (a clock disagreement between nodes): try again when the token really ends.
            await bus.ScheduleAsync(command, token.ValidTo);
            return;
        }

        // The stored policy expires by itself at valid_to; withdrawing it too makes that certain
        // even where the storage service's clock runs behind.
        await storage.Withdraw(token.Container, ct);
        stream.AppendOne(new UploadTokenExpired(token.Id, token.ValidTo, now));
        await bus.PublishAsync(new UploadTokenClosed(token.Id, token.Wsid, token.Container, UploadTokenClosedReason.Expired, now));
    }
}
