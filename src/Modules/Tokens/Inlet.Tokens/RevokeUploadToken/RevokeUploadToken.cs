using System.Security.Claims;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Tokens.ListUploadTokens;
using Inlet.Tokens.Storage;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Inlet.Tokens.RevokeUploadToken;

/// <summary>Closes a token on a member's request; its stored access policy is already withdrawn.</summary>
public sealed record RevokeUploadToken(Guid Tid, string RevokedBy);

public sealed record UploadTokenRevoked(Guid Tid, string RevokedBy, DateTimeOffset At);

/// <summary>
/// The HTTP edge: finds the token in the caller's workspace (an unknown, foreign or malformed id is not found,
/// and nothing is written for it), withdraws the stored access policy, then invokes the revocation inline so
/// that the answer comes after the event is on record.
/// </summary>
public static class RevokeUploadTokenEndpoint
{
    [WolverineDelete("/api/workspaces/{wsid}/upload-tokens/{tid}")]
    public static async Task<IResult> Delete(string wsid, string tid, ClaimsPrincipal user, IQuerySession session, UploadTokenStorage storage,
        IMessageBus bus, CancellationToken ct)
    {
        // The listing, not the write model: an archived token is out of the live store but still listed, and
        // revoking it is the no-op it always was.
        if (await TokenLookup.Find(session, wsid, tid, ct) is not { } token)
            return Results.Problem(Problems.NotFound("upload token"));
        // Withdraw even when already closed: a retry after a crash between storage and the event store must
        // still leave the SAS dead. Before the event: a revocation on record always has a dead SAS.
        await storage.Withdraw(token.Account, token.Container, ct);
        await bus.InvokeAsync(new RevokeUploadToken(token.Id, user.UserName()), ct);
        return Results.NoContent();
    }
}

/// <summary>
/// An A-frame on Wolverine's aggregate workflow: the token's stream is fetched for writing (optimistic: a
/// usage batch, the expiry or another revocation committed meanwhile makes this attempt lose, and the
/// conflict policy runs it again inline on the new state, where a closed token is a no-op), the decision is
/// pure, and Wolverine appends and publishes in one transaction.
/// </summary>
public static class RevokeUploadTokenHandler
{
    public static (Events, OutgoingMessages) Handle(
        RevokeUploadToken command,
        [WriteAggregate(nameof(RevokeUploadToken.Tid), Required = false)] UploadToken? token,
        TimeProvider clock)
    {
        var (revoked, closed) = UploadTokenDecisions.Revoke(token, command.RevokedBy, clock.GetUtcNow());
        var events = new Events();
        var messages = new OutgoingMessages();
        if (revoked is not null)
            events.Add(revoked);
        if (closed is not null)
            messages.Add(closed);
        return (events, messages);
    }
}
