using System.Text.Json.Serialization;

namespace Inlet.BuildingBlocks.Audit;

/// <summary>One entry of an audit trail, as the HTTP contract shows it.</summary>
public sealed record AuditEntry(
    [property: JsonPropertyName("tid")] Guid Tid,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("by")] string? By,
    [property: JsonPropertyName("details")] IReadOnlyDictionary<string, object?> Details);

/// <param name="Sequence">The event store's global order, so that entries of several modules interleave as they happened.</param>
public sealed record SequencedAuditEntry(long Sequence, AuditEntry Entry);

/// <summary>
/// A module's part of a workspace's audit trail. Each module reads only its own events; the workspace
/// audit endpoint merges every source, so no module reaches into another's internals.
/// </summary>
public interface IWorkspaceAuditSource
{
    Task<IReadOnlyList<SequencedAuditEntry>> Read(string wsid, CancellationToken ct);
}
