using System.Text.Json;
using Inlet.BuildingBlocks.Http;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace Inlet.BuildingBlocks.Audit;

/// <summary>
/// The flat audit projection (docs/adr/0018-flat-audit-projection.md): inline, so an entry is committed in
/// the same transaction as its event and every read sees every event committed before it. The row, its
/// place in the workspace's hash chain and the chain hash are computed in
/// PostgreSQL (<c>audit.next_entry</c>), which serialises one workspace's appends with a transaction-scoped advisory lock.
/// </summary>
public sealed class AuditTrailProjection : IProjection
{
    public const string Name = "AuditTrail";

    private static readonly JsonSerializerOptions Json = JsonDefaults.Create();

    private readonly List<AuditMap> _maps = [];

    public void Add(AuditMap map) => _maps.Add(map);

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        foreach (var e in events)
            foreach (var map in _maps)
            {
                if (map(e) is not { } fact)
                    continue;
                var entry = fact.Entry;
                if (entry is null)
                {
                    if (fact.Wsid is not null)
                        operations.QueueSqlCommand($"insert into {AuditSchema.Name}.streams (stream, wsid) values (?::uuid, ?::text) on conflict (stream) do nothing", e.StreamId, fact.Wsid);
                    continue;
                }
                var upload = entry.Details.TryGetValue("upload", out var u) && u is Guid g ? g : (Guid?)null;
                var table = entry.Details.TryGetValue("table", out var t) && t is string s ? s : null;
                operations.QueueSqlCommand(
                    $"insert into {AuditSchema.Entries} select * from {AuditSchema.Name}.next_entry(?::uuid, ?::uuid, ?::text, ?::timestamptz, ?::text, ?::uuid, ?::uuid, ?::text, ?::text, ?::jsonb)",
                    e.Id, e.StreamId, (object?)fact.Wsid ?? DBNull.Value, entry.At.ToUniversalTime(), entry.Type,
                    (object?)entry.Tid ?? DBNull.Value, (object?)upload ?? DBNull.Value, (object?)table ?? DBNull.Value,
                    (object?)entry.By ?? DBNull.Value, JsonSerializer.Serialize(entry.Details, Json));
                break; // one entry per event
            }
        return Task.CompletedTask;
    }
}
