using System.Security.Claims;
using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Notifications.Deliveries;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace Inlet.Notifications.Webhooks;

/// <summary>The answer to a rotation: the one and only time the new secret is shown.</summary>
public sealed record RotatedSecretResponse(Guid Id, [property: JsonPropertyName("secret")] string Secret, WebhookSigning Signing,
    DateTimeOffset RotatedAt, DateTimeOffset? PreviousSecretValidUntil);

/// <summary>What a rotation comes to: its event and the secret document as it is to be stored.</summary>
public sealed record SecretRotation(WebhookSecretRotated Event, WebhookSecret Secret);

public static class RotateWebhookSecretDecision
{
    /// <summary>
    /// A webhook that is not deleted gets the new secret and the standard scheme. A standard secret before it stays valid
    /// for <paramref name="grace"/> (deliveries carry both signatures meanwhile); a legacy one ends now, because a receiver
    /// comparing the whole <c>sha256=</c> header could not take a list. A rotation during the grace of another keeps only the
    /// secret it replaces, so at most two signatures are ever sent.
    /// </summary>
    public static SecretRotation? Decide(Webhook? webhook, WebhookSecret? current, string protectedNew, string by, DateTimeOffset now, TimeSpan grace)
    {
        if (webhook is null or { State: WebhookState.Deleted } || current is null)
            return null;
        var from = current.Signing ?? WebhookSigning.Legacy;
        var validUntil = from == WebhookSigning.Standard ? now + grace : (DateTimeOffset?)null;
        var secret = new WebhookSecret
        {
            Id = webhook.Id, Protected = protectedNew, Signing = WebhookSigning.Standard,
            PreviousProtected = validUntil is null ? null : current.Protected, PreviousValidUntil = validUntil,
        };
        return new SecretRotation(new WebhookSecretRotated(webhook.Id, by, now, from, validUntil), secret);
    }
}

/// <summary>
/// Replaces a webhook's signing secret (<c>POST …/webhooks/{id}/rotate-secret</c>): the workspace's webhook is found, its
/// stream fetched for writing (a second rotation at once loses rather than keep a secret the first replaced), the pure
/// decision appended and the secret document stored in Wolverine's one transaction. The new secret is in the answer only.
/// </summary>
public static class RotateWebhookSecretEndpoint
{
    [WolverinePost("/api/workspaces/{wsid}/webhooks/{id}/rotate-secret")]
    public static async Task<IResult> Post(string wsid, string id, ClaimsPrincipal user, IDocumentSession session, IDataProtectionProvider protection,
        IOptions<NotificationsOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (await WebhookQueryEndpoints.Find(session, wsid, id, ct) is not { } hook)
            return Results.Problem(Problems.NotFound("webhook"));
        var stream = await session.Events.FetchForWriting<Webhook>(hook.Id, ct);
        var current = await session.LoadAsync<WebhookSecret>(hook.Id, ct);
        var secret = WebhookSignatures.NewSecret();
        var protectedNew = protection.CreateProtector(DeliverWebhookHandler.ProtectorPurpose).Protect(secret);
        var now = clock.GetUtcNow();
        if (RotateWebhookSecretDecision.Decide(stream.Aggregate, current, protectedNew, user.UserName(), now, options.Value.SecretRotationGrace) is not { } rotation)
            return Results.Problem(Problems.NotFound("webhook"));
        stream.AppendOne(rotation.Event);
        session.Store(rotation.Secret);
        return Results.Json(new RotatedSecretResponse(hook.Id, secret, WebhookSigning.Standard, now, rotation.Event.PreviousValidUntil));
    }
}
