using System.Security.Claims;
using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Notifications.Deliveries;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Wolverine.Http;
using Wolverine.Marten;

namespace Inlet.Notifications.Webhooks;

/// <summary>
/// The signing secret, protected with ASP.NET Data Protection; never listed, logged or put in an event. After a rotation the
/// previous one too, until <see cref="PreviousValidUntil"/>.
/// </summary>
public sealed class WebhookSecret
{
    public Guid Id { get; set; }
    public string Protected { get; set; } = "";

    /// <summary>The scheme <see cref="Protected"/> signs with; null in documents from before the standard scheme (legacy).</summary>
    public WebhookSigning? Signing { get; set; }

    public string? PreviousProtected { get; set; }
    public DateTimeOffset? PreviousValidUntil { get; set; }

    /// <summary>The keys a delivery is signed with, unprotected.</summary>
    public SigningKeys Keys(IDataProtector protector) => new(protector.Unprotect(Protected), Signing ?? WebhookSigning.Legacy,
        PreviousProtected is { } previous ? protector.Unprotect(previous) : null, PreviousValidUntil);
}

public sealed record CreateWebhookRequest(string? Url, IReadOnlyList<string>? Events);

public sealed record WebhookResponse(Guid Id, string Url, IReadOnlyList<string> Events, WebhookState State, DateTimeOffset CreatedAt, string CreatedBy,
    int ConsecutiveFailures, DateTimeOffset? DisabledAt, string? DisabledReason, WebhookSigning Signing, DateTimeOffset? SecretRotatedAt,
    DateTimeOffset? PreviousSecretValidUntil)
{
    public static WebhookResponse From(WebhookSummary s) =>
        new(s.Id, s.Url, s.Events, s.State, s.CreatedAt, s.CreatedBy, s.ConsecutiveFailures, s.DisabledAt, s.DisabledReason,
            s.Signing ?? WebhookSigning.Legacy, s.SecretRotatedAt, s.PreviousSecretValidUntil);
}

/// <summary>The answer to creating a webhook: the one and only time its secret is shown.</summary>
public sealed record CreatedWebhookResponse(Guid Id, string Url, IReadOnlyList<string> Events, WebhookState State, DateTimeOffset CreatedAt,
    [property: JsonPropertyName("secret")] string Secret, WebhookSigning Signing);

public sealed record DeliveryResponse(Guid Id, string EventId, string Type, string Subject, DeliveryStatus Status, DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt, IReadOnlyList<DeliveryAttempt> Attempts);

/// <summary>The request checked and, if valid, a secret made and protected: what the decision to create needs.</summary>
public sealed record WebhookDraft(ProblemDetails? Problem, Guid Id, string Url, IReadOnlyList<string> Events, string Secret, string ProtectedSecret, DateTimeOffset Now);

/// <summary>
/// Creating: an A-frame. <see cref="LoadAsync"/> validates (problem details naming <c>url</c> or <c>events</c>) and
/// makes the secret, <see cref="Post"/> starts the webhook's stream and stores the protected secret in one transaction.
/// </summary>
public static class CreateWebhookEndpoint
{
    public static WebhookDraft LoadAsync(CreateWebhookRequest? request, IOptions<NotificationsOptions> options, IDataProtectionProvider protection, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        // A JSON null body binds as no request at all: the same answer as a body without a url.
        request ??= new CreateWebhookRequest(null, null);
        if (WebhookRules.UrlProblem(request.Url, options.Value.AllowLoopback) is { } url)
            return new WebhookDraft(Problems.Validation("url", url), Guid.Empty, "", [], "", "", now);
        if (WebhookRules.EventsProblem(request.Events) is { } events)
            return new WebhookDraft(Problems.Validation("events", events), Guid.Empty, "", [], "", "", now);
        var secret = WebhookSignatures.NewSecret();
        return new WebhookDraft(null, Guid.CreateVersion7(now), request.Url!, [.. request.Events!], secret,
            protection.CreateProtector(DeliverWebhookHandler.ProtectorPurpose).Protect(secret), now);
    }

    public static IResult Validate(WebhookDraft draft) => draft.Problem is { } problem ? Results.Problem(problem) : WolverineContinue.Result();

    [WolverinePost("/api/workspaces/{wsid}/webhooks")]
    public static (IResult, IStartStream, IMartenOp) Post(string wsid, CreateWebhookRequest request, WebhookDraft draft, ClaimsPrincipal user)
    {
        _ = request; // read and checked in LoadAsync; named here so that Wolverine binds the body
        var created = new WebhookCreated(draft.Id, wsid, draft.Url, draft.Events, user.UserName(), draft.Now, WebhookSigning.Standard);
        var response = Results.Json(new CreatedWebhookResponse(draft.Id, draft.Url, draft.Events, WebhookState.Active, draft.Now, draft.Secret, WebhookSigning.Standard),
            statusCode: StatusCodes.Status201Created);
        return (response, MartenOps.StartStream<Webhook>(draft.Id, created),
            MartenOps.Insert(new WebhookSecret { Id = draft.Id, Protected = draft.ProtectedSecret, Signing = WebhookSigning.Standard }));
    }
}

public static class WebhookQueryEndpoints
{
    [WolverineGet("/api/workspaces/{wsid}/webhooks")]
    public static async Task<IReadOnlyList<WebhookResponse>> List(string wsid, IQuerySession session, CancellationToken ct) =>
        (await session.Query<WebhookSummary>().Where(w => w.Wsid == wsid && w.State != WebhookState.Deleted).OrderBy(w => w.CreatedAt).ToListAsync(ct))
        .Select(WebhookResponse.From).ToList();

    [WolverineGet("/api/workspaces/{wsid}/webhooks/{id}")]
    public static async Task<IResult> Get(string wsid, string id, IQuerySession session, CancellationToken ct) =>
        await Find(session, wsid, id, ct) is { } hook ? Results.Json(WebhookResponse.From(hook)) : Results.Problem(Problems.NotFound("webhook"));

    /// <summary>The webhook's deliveries, newest first (at most 100), each with every attempt.</summary>
    [WolverineGet("/api/workspaces/{wsid}/webhooks/{id}/deliveries")]
    public static async Task<IResult> Deliveries(string wsid, string id, IQuerySession session, CancellationToken ct)
    {
        if (await Find(session, wsid, id, ct) is not { } hook)
            return Results.Problem(Problems.NotFound("webhook"));
        var deliveries = await session.Query<WebhookDelivery>().Where(d => d.WebhookId == hook.Id)
            .OrderByDescending(d => d.CreatedAt).Take(100).ToListAsync(ct);
        return Results.Json(deliveries.Select(d => new DeliveryResponse(d.Id, d.EventId, d.Type, d.Subject, d.Status, d.CreatedAt, d.FinishedAt, d.Attempts)).ToList());
    }

    /// <summary>The workspace's webhook (not deleted) with that id; null for an unknown, foreign or malformed id.</summary>
    public static async Task<WebhookSummary?> Find(IQuerySession session, string wsid, string id, CancellationToken ct) =>
        Guid.TryParse(id, out var guid) && await session.LoadAsync<WebhookSummary>(guid, ct) is { } hook && hook.Wsid == wsid && hook.State != WebhookState.Deleted
            ? hook
            : null;
}

/// <summary>Deleting: the webhook's stream gets its last event and the secret goes; deliveries still in line are skipped.</summary>
public static class DeleteWebhookEndpoint
{
    [WolverineDelete("/api/workspaces/{wsid}/webhooks/{id}")]
    public static async Task<IResult> Delete(string wsid, string id, ClaimsPrincipal user, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        if (await WebhookQueryEndpoints.Find(session, wsid, id, ct) is not { } hook)
            return Results.Problem(Problems.NotFound("webhook"));
        var stream = await session.Events.FetchForWriting<Webhook>(hook.Id, ct);
        stream.AppendOne(new WebhookDeleted(hook.Id, user.UserName(), clock.GetUtcNow()));
        session.Delete<WebhookSecret>(hook.Id);
        return Results.NoContent();
    }
}
