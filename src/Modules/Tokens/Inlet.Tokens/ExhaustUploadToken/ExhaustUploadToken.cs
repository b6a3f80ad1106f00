using Inlet.Tokens.Contracts;
using Inlet.Tokens.Storage;
using Wolverine;
using Wolverine.Marten;

namespace Inlet.Tokens.ExhaustUploadToken;

/// <summary>The token's quota was reached (Ingestion counted it, docs/adr/0028-upload-quotas.md); its policy is withdrawn.</summary>
public sealed record UploadTokenQuotaExhausted(Guid Tid, string Reason, long UsedBytes, int UsedFiles, DateTimeOffset At);

/// <summary>
/// An A-frame on Wolverine's aggregate workflow, shaped as the expiry: the token's stream is fetched for writing
/// (optimistic: a revocation or another delivery of this message committed meanwhile makes this attempt lose, and
/// the retry finds the token closed or exhausted and stops), <see cref="Before"/> withdraws the stored access
/// policy through the one owner of that (<see cref="UploadTokenStorage.Withdraw"/>), <see cref="Handle"/> decides,
/// and Wolverine appends and publishes in one transaction.
/// </summary>
public static class ExhaustUploadTokenHandler
{
    public static async Task Before(UploadToken? token, UploadTokenStorage storage, CancellationToken ct)
    {
        // Before the event: an exhaustion on record always has a dead SAS.
        if (UploadTokenDecisions.IsExhaustible(token))
            await storage.Withdraw(token!.Account, token.Container, ct);
    }

    public static (Events, OutgoingMessages) Handle(
        MarkUploadTokenExhausted command,
        [WriteAggregate(nameof(MarkUploadTokenExhausted.Tid), Required = false)] UploadToken? token)
    {
        var (exhausted, announced) = UploadTokenDecisions.Exhaust(token, command);
        var events = new Events();
        var messages = new OutgoingMessages();
        if (exhausted is not null)
            events.Add(exhausted);
        if (announced is not null)
            messages.Add(announced);
        return (events, messages);
    }
}
