using Npgsql;

namespace Inlet.Tabular.Database;

/// <summary>
/// The database that holds the workspaces' tables (<c>ConnectionStrings:WorkspaceDatabase</c>, by default
/// the event store's server). Each workspace has a schema of its own; Inlet's bookkeeping of loads lives
/// in schema <c>inlet_tabular</c> beside them.
/// </summary>
public sealed class WorkspaceDatabase(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public const string Bookkeeping = "inlet_tabular";
    private readonly SemaphoreSlim _setup = new(1, 1);
    private volatile bool _ready;

    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Workspace ids are 3–40 characters of a-z, 0-9 and '-', so this name is unique and safe.</summary>
    public static string SchemaFor(string wsid) => "ws_" + wsid.Replace('-', '_');

    public async Task<NpgsqlConnection> Open(CancellationToken ct)
    {
        await EnsureBookkeeping(ct);
        return await dataSource.OpenConnectionAsync(ct);
    }

    private async Task EnsureBookkeeping(CancellationToken ct)
    {
        if (_ready)
            return;
        await _setup.WaitAsync(ct);
        try
        {
            if (_ready)
                return;
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // Several nodes may start at once; DDL on the same objects must not race.
            await using (var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock(hashtext('inlet_tabular_setup'))", connection, tx))
                await lockCommand.ExecuteNonQueryAsync(ct);
            await using (var setup = new NpgsqlCommand($"""
                create schema if not exists {Bookkeeping};
                create table if not exists {Bookkeeping}.loads (
                    load_key text primary key,
                    sequence bigserial not null,
                    wsid text not null,
                    table_name text not null,
                    outcome jsonb not null,
                    loaded_at timestamptz not null default now());
                create table if not exists {Bookkeeping}.rejects (
                    seq bigserial primary key,
                    wsid text not null,
                    table_name text not null,
                    load_key text not null,
                    source text not null,
                    line bigint not null,
                    reason text not null,
                    raw text not null);
                create index if not exists rejects_by_table on {Bookkeeping}.rejects (wsid, table_name, seq);
                create or replace function {Bookkeeping}.set_comment(s text, t text, c text, d text) returns void
                language plpgsql as $$
                begin
                    if c is null then
                        execute format('comment on table %I.%I is %L', s, t, d);
                    else
                        execute format('comment on column %I.%I.%I is %L', s, t, c, d);
                    end if;
                end $$;
                """, connection, tx))
                await setup.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            _ready = true;
        }
        finally
        {
            _setup.Release();
        }
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
