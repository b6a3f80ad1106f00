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

public sealed record UploadTokenRevoked(Guid Tid, string RevokedBy, DateTimeOffset At);

/// <summary>
/// An A-frame: Wolverine fetches the token's stream for writing, <see cref="Before"/> checks the workspace and
/// withdraws the stored access policy, <see cref="Delete"/> decides, Wolverine appends and publishes in one
/// transaction. The stream is locked (exclusive), not version-checked: the withdrawal sits between load and
/// commit, and a usage batch counted meanwhile must not turn a revocation into a 409; a second revocation or
/// the expiry waits for the lock (the expiry, optimistic, is retried) and finds the token closed.
/// </summary>
public static class RevokeUploadTokenEndpoint
{
    public static async Task<IResult> Before(string wsid, Guid tid, UploadToken? token, IQuerySession session, UploadTokenStorage storage, CancellationToken ct)
    {
        // An archived token's stream is out of the live store, so it has no write model; it is still listed,
        // and revoking it is the no-op it always was. A token of another workspace is not found.
        var container = token is { } live ? (live.Wsid == wsid ? live.Container : null) : (await TokenLookup.Find(session, wsid, tid.ToString(), ct))?.Container;
        if (container is null)
            return Results.Problem(Problems.NotFound("upload token"));
        // Withdraw even when already closed: a retry after a crash between storage and the event store must
        // still leave the SAS dead. Before the event: a revocation on record always has a dead SAS.
        await storage.Withdraw(container, ct);
        return WolverineContinue.Result();
    }

    [WolverineDelete("/api/workspaces/{wsid}/upload-tokens/{tid}")]
    public static (IResult, Events, OutgoingMessages) Delete(
        [WriteAggregate("tid", Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] UploadToken? token,
        ClaimsPrincipal user,
        TimeProvider clock)
    {
        var (revoked, closed) = UploadTokenDecisions.Revoke(token, user.UserName(), clock.GetUtcNow());
        var events = new Events();
        var messages = new OutgoingMessages();
        if (revoked is not null)
            events.Add(revoked);
        if (closed is not null)
            messages.Add(closed);
        return (Results.NoContent(), events, messages);
    }
}
