using System.Text.Json.Serialization;
using JasperFx.Events;

namespace Inlet.BuildingBlocks.Audit;

/// <summary>One entry of an audit trail, as a module describes one of its events.</summary>
/// <remarks><c>details.upload</c> (a Guid) and <c>details.table</c> (a string) are lifted into the flat
/// projection's own columns, so that they can be filtered on.</remarks>
public sealed record AuditEntry(
    [property: JsonPropertyName("tid")] Guid? Tid,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("by")] string? By,
    [property: JsonPropertyName("details")] IReadOnlyDictionary<string, object?> Details);

/// <summary>
/// What an event means for the audit: the workspace it belongs to, when the event says (a stream's first
/// event must; later ones may leave it null and inherit the stream's), and its entry, or null when the
/// event is not part of the trail (it may still name the stream's workspace).
/// </summary>
public sealed record AuditFact(string? Wsid, AuditEntry? Entry);

/// <summary>
/// A module's part of the audit trail (successor of the former <c>IWorkspaceAuditSource</c>): it alone
/// knows its events and turns them into entries; the flat projection (<see cref="AuditTrailProjection"/>)
/// asks every module's map about every event and keeps the rows.
/// </summary>
public delegate AuditFact? AuditMap(IEvent e);
