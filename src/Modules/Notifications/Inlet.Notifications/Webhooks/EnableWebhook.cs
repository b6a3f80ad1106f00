using System.Security.Claims;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace Inlet.Notifications.Webhooks;

public static class EnableWebhookDecision
{
    /// <summary>
    /// Only a disabled webhook is enabled; an active one stays as it is (enabling twice is no change and no second
    /// audit entry), and a deleted or unknown one gets nothing.
    /// </summary>
    public static WebhookEnabled? Decide(Webhook? webhook, string by, DateTimeOffset now) =>
        webhook is { State: WebhookState.Disabled } ? new WebhookEnabled(webhook.Id, by, now) : null;
}

/// <summary>
/// Turns a disabled webhook back on once its receiver is mended. The workspace's webhook is found (an unknown, foreign,
/// malformed or deleted id is not found), its stream fetched for writing (a delivery's end appended meanwhile makes this
/// request lose rather than decide on stale state), the pure decision appended, and the transaction is Wolverine's.
/// </summary>
public static class EnableWebhookEndpoint
{
    [WolverinePost("/api/workspaces/{wsid}/webhooks/{id}/enable")]
    public static async Task<IResult> Post(string wsid, string id, ClaimsPrincipal user, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (await WebhookQueryEndpoints.Find(session, wsid, id, ct) is not { } hook)
            return Results.Problem(Problems.NotFound("webhook"));
        var stream = await session.Events.FetchForWriting<Webhook>(hook.Id, ct);
        if (EnableWebhookDecision.Decide(stream.Aggregate, user.UserName(), clock.GetUtcNow()) is { } enabled)
        {
            stream.AppendOne(enabled);
            // The answer shows the listing as the inline projection will leave it in this very transaction.
            new WebhookSummaryProjection().Apply(enabled, hook);
        }
        return Results.Json(WebhookResponse.From(hook));
    }
}
