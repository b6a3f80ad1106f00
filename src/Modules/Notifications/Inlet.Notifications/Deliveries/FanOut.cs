using Inlet.Ingestion.Contracts;
using Inlet.Notifications.Notices;
using Inlet.Notifications.Webhooks;
using Inlet.Tokens.Contracts;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Inlet.Notifications.Deliveries;

/// <summary>What the fan-out of one notice found: the workspace's webhooks that want it, their lines for its subject, and deliveries made before (a re-delivered message).</summary>
public sealed record FanOutState(Notice? Notice, IReadOnlyList<WebhookSummary> Webhooks, IReadOnlyDictionary<string, DeliveryChain> Chains, IReadOnlySet<Guid> Existing)
{
    public static readonly FanOutState Nothing = new(null, [], new Dictionary<string, DeliveryChain>(), new HashSet<Guid>());
}

/// <summary>Documents to store, as one Marten operation (the fan-out writes a delivery and a line per webhook).</summary>
public sealed class StoreDocuments(IReadOnlyList<object> documents) : IMartenOp
{
    public IReadOnlyList<object> Documents { get; } = documents;

    public void Execute(IDocumentSession session)
    {
        foreach (var document in Documents)
            session.Store(document);
    }
}

/// <summary>
/// A notice becomes one delivery per active webhook of its workspace that asked for its type. Ordering per webhook and
/// subject: a delivery goes out at once only when nothing of that subject is in flight to that webhook; otherwise it
/// waits in the line (<see cref="DeliveryChain"/>) until the one before it is final (docs/adr/0029-webhooks.md).
/// </summary>
public static class FanOut
{
    public static Guid DeliveryIdFor(Guid webhookId, string eventId) => NoticeTypes.DerivedId($"{webhookId}|{eventId}");

    public static async Task<FanOutState> Load(Notice? notice, IDocumentSession session, CancellationToken ct)
    {
        if (notice is null)
            return FanOutState.Nothing;
        var hooks = (await session.Query<WebhookSummary>()
            .Where(w => w.Wsid == notice.Wsid && w.State == WebhookState.Active)
            .ToListAsync(ct)).Where(w => w.Events.Contains(notice.Type)).ToList();
        if (hooks.Count == 0)
            return FanOutState.Nothing with { Notice = notice };
        var chainIds = hooks.Select(h => DeliveryChain.IdFor(h.Id, notice.Subject)).ToArray();
        var chains = (await session.LoadManyAsync<DeliveryChain>(ct, chainIds)).ToDictionary(c => c.Id);
        var ids = hooks.Select(h => DeliveryIdFor(h.Id, notice.Id)).ToArray();
        var existing = (await session.LoadManyAsync<WebhookDelivery>(ct, ids)).Select(d => d.Id).ToHashSet();
        return new FanOutState(notice, hooks, chains, existing);
    }

    public static (IMartenOp, OutgoingMessages) Decide(FanOutState state, DateTimeOffset now)
    {
        var messages = new OutgoingMessages();
        var documents = new List<object>();
        if (state.Notice is not { } notice)
            return (new StoreDocuments(documents), messages);
        var body = state.Webhooks.Count > 0 ? CloudEventBody.For(notice) : "";
        foreach (var hook in state.Webhooks)
        {
            var id = DeliveryIdFor(hook.Id, notice.Id);
            if (state.Existing.Contains(id))
                continue;
            var chainId = DeliveryChain.IdFor(hook.Id, notice.Subject);
            var chain = state.Chains.TryGetValue(chainId, out var c) ? c : new DeliveryChain { Id = chainId };
            var first = chain.Head is null;
            if (first)
                chain.Head = id;
            else
                chain.Waiting.Add(id);
            documents.Add(chain);
            documents.Add(new WebhookDelivery
            {
                Id = id, WebhookId = hook.Id, Wsid = notice.Wsid, EventId = notice.Id, Type = notice.Type, Subject = notice.Subject, Body = body,
                Status = first ? DeliveryStatus.Sending : DeliveryStatus.Queued, CreatedAt = now,
            });
            if (first)
                messages.Add(new DeliverWebhook(id));
        }
        return (new StoreDocuments(documents), messages);
    }
}

// One handler per contract message (a class's LoadAsync serves its own message); each only translates and fans out.

public static class UploadOutcomeNoticeHandler
{
    public static Task<FanOutState> LoadAsync(UploadOutcomeRecorded message, IDocumentSession session, CancellationToken ct) =>
        FanOut.Load(NoticeTypes.For(message), session, ct);

    public static (IMartenOp, OutgoingMessages) Handle(UploadOutcomeRecorded message, FanOutState state, TimeProvider clock) => FanOut.Decide(state, clock.GetUtcNow());
}

public static class TokenClosedNoticeHandler
{
    public static Task<FanOutState> LoadAsync(UploadTokenClosed message, IDocumentSession session, CancellationToken ct) =>
        FanOut.Load(NoticeTypes.For(message), session, ct);

    public static (IMartenOp, OutgoingMessages) Handle(UploadTokenClosed message, FanOutState state, TimeProvider clock) => FanOut.Decide(state, clock.GetUtcNow());
}

public static class TokenExhaustedNoticeHandler
{
    public static Task<FanOutState> LoadAsync(UploadTokenExhausted message, IDocumentSession session, CancellationToken ct) =>
        FanOut.Load(NoticeTypes.For(message), session, ct);

    public static (IMartenOp, OutgoingMessages) Handle(UploadTokenExhausted message, FanOutState state, TimeProvider clock) => FanOut.Decide(state, clock.GetUtcNow());
}

public static class TokenExpiringNoticeHandler
{
    public static Task<FanOutState> LoadAsync(UploadTokenExpiring message, IDocumentSession session, CancellationToken ct) =>
        FanOut.Load(NoticeTypes.For(message), session, ct);

    public static (IMartenOp, OutgoingMessages) Handle(UploadTokenExpiring message, FanOutState state, TimeProvider clock) => FanOut.Decide(state, clock.GetUtcNow());
}
