using Inlet.Tokens.Contracts;
using Marten;

namespace Inlet.Ingestion.TokenContainers;

/// <summary>Ingestion's own view of a token: which container to watch and where its files go.</summary>
public sealed class TokenContainer
{
    public Guid Id { get; set; }
    public string Wsid { get; set; } = "";
    public string Container { get; set; } = "";

    /// <summary>
    /// The storage account <see cref="Container"/> is in: the landing account (docs/adr/0030). Null for a token issued
    /// before it, whose container is in the workspace account; it is listed, routed from and swept there until it closes.
    /// </summary>
    public string? Account { get; set; }
    public UploadDestination Destination { get; set; } = UploadDestination.Inbox;
    public DateTimeOffset ActivatedAt { get; set; }
    public DateTimeOffset ValidTo { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>What the token may deliver (ADR 28); null for no limit.</summary>
    public UploadQuota? Quota { get; set; }

    /// <summary>When the files this (database) token staged in the workspace were removed; see Retention.</summary>
    public DateTimeOffset? StagedFilesRemovedAt { get; set; }
}

public static class TrackTokenContainersHandler
{
    public static async Task Handle(UploadTokenActivated activated, IDocumentSession session, CancellationToken ct)
    {
        var existing = await session.LoadAsync<TokenContainer>(activated.Tid, ct);
        session.Store(new TokenContainer
        {
            Id = activated.Tid,
            Wsid = activated.Wsid,
            Container = activated.Container,
            Account = activated.Account,
            Destination = activated.Destination,
            ActivatedAt = activated.ValidFrom,
            ValidTo = activated.ValidTo,
            Quota = activated.Quota,
            ClosedAt = existing?.ClosedAt,
            DeletedAt = existing?.DeletedAt,
            StagedFilesRemovedAt = existing?.StagedFilesRemovedAt,
        });
    }

    public static async Task Handle(UploadTokenClosed closed, IDocumentSession session, CancellationToken ct)
    {
        // Closing may arrive before activation was processed; the poller then sweeps from this record.
        var container = await session.LoadAsync<TokenContainer>(closed.Tid, ct)
            ?? new TokenContainer { Id = closed.Tid, Wsid = closed.Wsid, Container = closed.Container, Account = closed.Account, ActivatedAt = closed.At, ValidTo = closed.At };
        container.ClosedAt ??= closed.At;
        session.Store(container);
    }
}
