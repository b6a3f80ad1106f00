using System.Runtime.CompilerServices;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Weasel.Core;
using Weasel.Postgresql;
using Weasel.Postgresql.Functions;
using Weasel.Postgresql.Tables;

namespace Inlet.BuildingBlocks.Audit;

/// <summary>
/// The audit trail's tables and functions, created and migrated with the event store (so
/// <c>Inlet.Host resources setup</c> applies them ahead of time like every other schema object).
/// </summary>
public static class AuditSchema
{
    public const string Name = "audit";
    public const string Entries = Name + ".entries";
    public const string Hours = Name + ".hour_starts";
    public const string LateHours = Name + ".late_hours";

    private static readonly ConditionalWeakTable<StoreOptions, AuditTrailProjection> Projections = new();

    /// <summary>Adds a module's map to the one flat audit projection of this store, creating it on first use.</summary>
    public static void AddAuditMap(this StoreOptions opts, AuditMap map)
    {
        if (!Projections.TryGetValue(opts, out var projection))
        {
            projection = new AuditTrailProjection();
            Projections.Add(opts, projection);
            opts.Projections.Add(projection, ProjectionLifecycle.Inline, AuditTrailProjection.Name,
                o => { o.DeleteDataInTableOnTeardown(Entries); o.DeleteDataInTableOnTeardown(Hours); o.DeleteDataInTableOnTeardown(LateHours); o.DeleteDataInTableOnTeardown(Name + ".streams"); });
            foreach (var schemaObject in Objects())
                opts.Storage.ExtendedSchemaObjects.Add(schemaObject);
        }
        projection.Add(map);
    }

    private static IEnumerable<ISchemaObject> Objects()
    {
        var streams = new Table(new PostgresqlObjectName(Name, "streams", SchemaUtils.IdentifierUsage.General));
        streams.AddColumn("stream", "uuid").AsPrimaryKey();
        streams.AddColumn("wsid", "text").NotNull();
        yield return streams;

        // The cursor. Drawn while the workspace's append lock is held (see next_entry), so within a
        // workspace entries become visible in seq order: a reader paging with `after` never skips one that
        // commits later with a smaller number. (The event store's own sequence cannot promise that, and in
        // Marten's quick append mode an inline projection does not even learn it.)
        yield return new Sequence(new PostgresqlObjectName(Name, "entry_seq", SchemaUtils.IdentifierUsage.General));

        var entries = new Table(new PostgresqlObjectName(Name, "entries", SchemaUtils.IdentifierUsage.General));
        entries.AddColumn("seq", "bigint").AsPrimaryKey();
        entries.AddColumn("wsid", "text").NotNull();
        entries.AddColumn("event", "uuid").NotNull();               // the event's id in the event store
        entries.AddColumn("stream", "uuid").NotNull();              // the module's stream, e.g. one token's own trail
        entries.AddColumn("pos", "bigint").NotNull();                // place in the workspace's hash chain
        entries.AddColumn("at", "timestamptz").NotNull();
        entries.AddColumn("type", "text").NotNull();
        entries.AddColumn("tid", "uuid");
        entries.AddColumn("upload", "uuid");
        entries.AddColumn("tbl", "text");
        entries.AddColumn("by", "text");
        entries.AddColumn("details", "jsonb").NotNull();
        entries.AddColumn("hash", "text").NotNull();
        entries.Indexes.Add(new IndexDefinition("audit_entries_chain") { Columns = ["wsid", "pos"], IsUnique = true });
        entries.Indexes.Add(new IndexDefinition("audit_entries_wsid") { Columns = ["wsid", "seq"] });
        entries.Indexes.Add(new IndexDefinition("audit_entries_tid") { Columns = ["wsid", "tid", "seq"] });
        entries.Indexes.Add(new IndexDefinition("audit_entries_type") { Columns = ["wsid", "type", "seq"] });
        entries.Indexes.Add(new IndexDefinition("audit_entries_by") { Columns = ["wsid", "by", "seq"] });
        entries.Indexes.Add(new IndexDefinition("audit_entries_upload") { Columns = ["wsid", "upload", "seq"] });
        entries.Indexes.Add(new IndexDefinition("audit_entries_event") { Columns = ["event"], IsUnique = true });
        entries.Indexes.Add(new IndexDefinition("audit_entries_stream") { Columns = ["stream", "seq"] });
        yield return entries;

        // Where each UTC hour of `at` begins in seq order, per workspace: a date-ranged page reads its range's
        // exact seq bounds here and walks (wsid, seq) between them, instead of walking the whole trail from its
        // start (`at` and `seq` grow together, so PostgreSQL's estimate for `at` plus `order by seq` has no idea
        // where the range begins). Insert-only, so appends never update a row (one row updated per entry within
        // a transaction walks an ever longer chain of its versions: seeding fell from ~2,900 to ~300 entries/s).
        // An hour's first entry files the hour; an entry whose hour is older than the workspace's newest
        // hour (a late entry, e.g. a transaction that began before the hour turned and committed after) is
        // also listed in audit.late_hours, since it lies beyond the next hour's first seq. Filled from
        // existing entries when the tables are created in a store that already has entries.
        var hours = new BackfilledTable(new PostgresqlObjectName(Name, "hour_starts", SchemaUtils.IdentifierUsage.General),
            $"insert into {Hours} (wsid, hour, first_seq) select wsid, date_trunc('hour', at at time zone 'UTC'), min(seq) from {Entries} group by 1, 2 on conflict do nothing;");
        hours.AddColumn("wsid", "text").AsPrimaryKey();
        hours.AddColumn("hour", "timestamp").AsPrimaryKey();
        hours.AddColumn("first_seq", "bigint").NotNull();
        yield return hours;

        var late = new BackfilledTable(new PostgresqlObjectName(Name, "late_hours", SchemaUtils.IdentifierUsage.General),
            $"""
            insert into {LateHours} (wsid, hour, seq)
            select e.wsid, b.hour, e.seq from {Entries} e
            join (select wsid, hour, min(first_seq) over (partition by wsid order by hour desc rows between unbounded preceding and 1 preceding) as later_first
                  from {Hours}) b on b.wsid = e.wsid and b.hour = date_trunc('hour', e.at at time zone 'UTC')
            where e.seq > b.later_first
            on conflict do nothing;
            """);
        late.AddColumn("wsid", "text").AsPrimaryKey();
        late.AddColumn("hour", "timestamp").AsPrimaryKey();
        late.AddColumn("seq", "bigint").AsPrimaryKey();
        yield return late;

        // The text a chain hash covers: every column an auditor relies on but the cursor (so a rebuild from
        // the event store reproduces the same hashes), as PostgreSQL's own jsonb
        // rendering (keys sorted, one spelling per value), with the instant as microseconds since the epoch
        // so the session's time zone cannot change it. Used both when appending and when verifying.
        yield return new Function(new PostgresqlObjectName(Name, "canonical", SchemaUtils.IdentifierUsage.Function), $"""
            create or replace function {Name}.canonical(p_pos bigint, p_event uuid, p_wsid text, p_at timestamptz, p_type text, p_tid uuid,
                p_upload uuid, p_table text, p_by text, p_details jsonb) returns text language sql immutable as $$
              select jsonb_build_object('pos', p_pos, 'event', p_event, 'wsid', p_wsid, 'at_us', (extract(epoch from p_at) * 1000000)::bigint,
                'type', p_type, 'tid', p_tid, 'upload', p_upload, 'table', p_table, 'by', p_by, 'details', p_details)::text
            $$;
            """);

        yield return new Function(new PostgresqlObjectName(Name, "chain_hash", SchemaUtils.IdentifierUsage.Function), $"""
            create or replace function {Name}.chain_hash(p_prev text, p_canonical text) returns text language sql immutable as $$
              select encode(sha256(convert_to(coalesce(p_prev, '') || p_canonical, 'UTF8')), 'hex')
            $$;
            """);

        // Returns the row rather than inserting it: Marten's batch expects no result set from a queued
        // command, so the projection runs `insert into audit.entries select * from audit.next_entry(...)`.
        // One workspace's appends are serialised by a transaction-scoped advisory lock, so two
        // transactions never chain to the same predecessor; the chain follows commit order.
        yield return new Function(new PostgresqlObjectName(Name, "next_entry", SchemaUtils.IdentifierUsage.Function), $"""
            create or replace function {Name}.next_entry(p_event uuid, p_stream uuid, p_wsid text, p_at timestamptz, p_type text,
                p_tid uuid, p_upload uuid, p_table text, p_by text, p_details jsonb) returns setof {Entries} language plpgsql as $$
            declare
              w text := p_wsid;
              s bigint;
              h timestamp;
              newest timestamp;
              prev_pos bigint;
              prev_hash text;
            begin
              if w is null then
                select s.wsid into w from {Name}.streams s where s.stream = p_stream;
                if w is null then
                  raise exception 'audit: no workspace is known for event stream % (event %). An event store from before the audit projection needs the {AuditTrailProjection.Name} projection rebuilt once (docs/adr/0018).', p_stream, p_event;
                end if;
              else
                insert into {Name}.streams (stream, wsid) values (p_stream, w) on conflict (stream) do nothing;
              end if;
              perform pg_advisory_xact_lock(hashtextextended('inlet.audit:' || w, 0));
              select e.pos, e.hash into prev_pos, prev_hash from {Name}.entries e where e.wsid = w order by e.pos desc limit 1;
              s := nextval('{Name}.entry_seq');
              h := date_trunc('hour', p_at at time zone 'UTC');
              select max(x.hour) into newest from {Hours} x where x.wsid = w;
              insert into {Hours} (wsid, hour, first_seq) values (w, h, s) on conflict do nothing;
              if newest > h then
                insert into {LateHours} (wsid, hour, seq) values (w, h, s) on conflict do nothing;
              end if;
              return query select s, w, p_event, p_stream, coalesce(prev_pos, 0) + 1, p_at, p_type, p_tid, p_upload, p_table, p_by, p_details,
                      {Name}.chain_hash(prev_hash, {Name}.canonical(coalesce(prev_pos, 0) + 1, p_event, w, p_at, p_type, p_tid, p_upload, p_table, p_by, p_details));
            end;
            $$;
            """);
    }
}

public static class AuditTrailServices
{
    /// <summary>The audit trail's readers and the access events, which belong to no single module.</summary>
    public static IServiceCollection AddAuditTrail(this IServiceCollection services)
    {
        services.AddSingleton<AuditStore>();
        services.AddSingleton<AccessAudit>();
        services.ConfigureMarten(opts =>
        {
            opts.Events.AddEventType<WorkspaceAccessed>();
            opts.AddAuditMap(AccessAudit.Map);
        });
        return services;
    }
}

/// <summary>A table that, when it is created, is filled from data that existed before it (one statement run right after the create).</summary>
internal sealed class BackfilledTable(PostgresqlObjectName name, string backfill) : Table(name)
{
    public override void WriteCreateStatement(Migrator migrator, TextWriter writer)
    {
        base.WriteCreateStatement(migrator, writer);
        writer.WriteLine(backfill);
    }
}
