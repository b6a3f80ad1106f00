using System.Security.Claims;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Tokens.Contracts;
using Inlet.Tokens.ListUploadTokens;
using Inlet.Tokens.Storage;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine;
using Wolverine.Http;

namespace Inlet.Tokens.RevokeUploadToken;

public sealed record UploadTokenRevoked(Guid Tid, string RevokedBy, DateTimeOffset At);

public static class RevokeUploadTokenEndpoint
{
    [WolverineDelete("/api/workspaces/{wsid}/upload-tokens/{tid}")]
    public static async Task<IResult> Delete(
        string wsid,
        string tid,
        ClaimsPrincipal user,
        IDocumentSession session,
        UploadTokenStorage storage,
        TimeProvider clock,
        IMessageBus bus,
        CancellationToken ct)
    {
        var token = await TokenLookup.Find(session, wsid, tid, ct);
        if (token is null)
            return Results.Problem(Problems.NotFound("upload token"));

        // Withdraw even when already closed: a retry after a crash between storage and the event store
        // must still leave the SAS dead.
        await storage.Withdraw(token.Container, ct);
        // Optimistic concurrency: a revocation racing another (or the expiry) appends at most one close.
        var stream = await session.Events.FetchForWriting<UploadTokenSummary>(token.Id, ct);
        if (stream.Aggregate is null || stream.Aggregate.IsClosed)
            return Results.NoContent();

        var now = clock.GetUtcNow();
        stream.AppendOne(new UploadTokenRevoked(token.Id, user.UserName(), now));
        await bus.PublishAsync(new UploadTokenClosed(token.Id, wsid, token.Container, UploadTokenClosedReason.Revoked, now));
        return Results.NoContent();
    }
}
