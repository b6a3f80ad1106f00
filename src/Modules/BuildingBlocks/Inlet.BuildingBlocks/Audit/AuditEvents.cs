using JasperFx.Core;
using JasperFx.Events;
using Marten;
using Marten.Events.Archiving;

namespace Inlet.BuildingBlocks.Audit;

public static class AuditEvents
{
    /// <summary>A module's own streams read as audit entries, in the event store's global order.</summary>
    public static async Task<IReadOnlyList<SequencedAuditEntry>> FromStreams(IQuerySession session, IReadOnlyList<Guid> streams,
        Func<IEvent, AuditEntry?> toEntry, CancellationToken ct)
    {
        if (streams.Count == 0)
            return [];
        var ids = streams.ToArray();
        // Archived streams (closed tokens past their retention, docs/adr/0014) still belong to the audit trail.
        var events = await session.Events.QueryAllRawEvents().Where(e => e.StreamId.IsOneOf(ids) && e.MaybeArchived()).ToListAsync(ct);
        return events.Select(e => toEntry(e) is { } entry ? new SequencedAuditEntry(e.Sequence, entry) : null).OfType<SequencedAuditEntry>().ToList();
    }
}
