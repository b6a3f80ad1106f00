using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Inlet.BuildingBlocks.Auth;
using Inlet.Tabular.DatabaseCredentials;
using Inlet.Tabular.Loading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Inlet.Tabular.Database;

/// <summary>
/// Where the workspaces' tables live (docs/adr/0031): one PostgreSQL database per workspace, on the server of
/// <c>ConnectionStrings:WorkspaceDatabase</c> (by default the event store's), shared with nothing of Inlet's — no event
/// store, documents, locks or notifications, which are per database in PostgreSQL. Inside it the tables are in schema
/// <c>ws_&lt;wsid&gt;</c> and Inlet's bookkeeping of loads in schema <c>inlet_tabular</c>, on which the login has no
/// privilege. The database of the connection string itself ("home") keeps only the list of workspace databases and
/// the rows the workspace locks are taken on; no workspace login may connect to it.
/// </summary>
public sealed partial class WorkspaceDatabase : IAsyncDisposable
{
    public const string Bookkeeping = "inlet_tabular";

    /// <summary>Raised when the hardening of workspace databases changes: each is hardened again on its next use.</summary>
    public const int SetupVersion = 1;

    private readonly NpgsqlDataSource _home;
    private readonly string _connection; // with its password, which a data source's ConnectionString leaves out
    private readonly string _eventStore;
    private readonly IOptions<DatabaseCredentialsOptions> _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _sources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _ready = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _homeGate = new(1, 1);
    private volatile bool _homeReady;
    private bool? _superuser;
    private int _limitsLogged;

    /// <param name="connection"><c>ConnectionStrings:WorkspaceDatabase</c>: its database ("home") is where workspace databases are created from.</param>
    /// <param name="eventStoreConnection">Inlet's own database, closed to <c>PUBLIC</c> so that no workspace login reaches it.</param>
    public WorkspaceDatabase(string connection, string eventStoreConnection, IOptions<DatabaseCredentialsOptions> options, ILogger<WorkspaceDatabase> logger)
    {
        _connection = connection;
        _home = NpgsqlDataSource.Create(connection);
        _eventStore = eventStoreConnection;
        _options = options;
        _logger = logger;
    }

    /// <summary>The home database's pool: roles, sessions and the list of workspace databases are managed from it.</summary>
    public NpgsqlDataSource DataSource => _home;

    public string HomeDatabase => new NpgsqlConnectionStringBuilder(_home.ConnectionString).Database ?? "postgres";

    [GeneratedRegex("^[a-z][a-z0-9_]{0,15}$")]
    private static partial Regex PrefixPattern();

    public string Prefix
    {
        get
        {
            var prefix = _options.Value.WorkspaceRolePrefix;
            return PrefixPattern().IsMatch(prefix)
                ? prefix
                : throw new InvalidOperationException($"Database:WorkspaceRolePrefix '{prefix}' must be 1–16 lower-case letters, digits or '_', starting with a letter.");
        }
    }

    /// <summary>
    /// Prefix + "ws_" + the workspace id (at most 16 + 3 + 40 = 59 characters, within PostgreSQL's 63): the name of both the
    /// workspace's database and its login role, so pg_hba.conf can say <c>sameuser</c>, and unique per deployment as roles are.
    /// </summary>
    public string NameFor(string wsid) => WorkspaceId.IsValid(wsid)
        ? Prefix + "ws_" + wsid.Replace('-', '_')
        : throw new ArgumentException("Not a workspace id.", nameof(wsid));

    /// <summary>The workspace id a database or role name stands for, or null when it is not one of this deployment's.</summary>
    public string? WorkspaceOf(string name) =>
        name.StartsWith(Prefix + "ws_", StringComparison.Ordinal) && name[(Prefix.Length + 3)..].Replace('_', '-') is var wsid && WorkspaceId.IsValid(wsid)
            ? wsid
            : null;

    /// <summary>Workspace ids are 3–40 characters of a-z, 0-9 and '-', so this name is unique and safe.</summary>
    public static string SchemaFor(string wsid) => "ws_" + wsid.Replace('-', '_');

    /// <summary>Every workspace login is a member of this group, which itself may do nothing: it names the logins as one.</summary>
    public string GroupRole => Prefix + "workspace_logins";

    /// <summary>A connection to the workspace's own database, created and hardened (and its tables moved from the old shared layout) on first need.</summary>
    public async Task<NpgsqlConnection> Open(string wsid, CancellationToken ct)
    {
        await Ensure(wsid, ct);
        return await SourceFor(NameFor(wsid)).OpenConnectionAsync(ct);
    }

    /// <summary>A connection to the home database, its bookkeeping set up.</summary>
    public async Task<NpgsqlConnection> OpenHome(CancellationToken ct)
    {
        await EnsureHome(ct);
        return await _home.OpenConnectionAsync(ct);
    }

    /// <summary>An unpooled connection to any database of the server, as Inlet's role (to drop what a login left there).</summary>
    public async Task<NpgsqlConnection> OpenOther(string database, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_connection) { Database = database, Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    public NpgsqlDataSource SourceFor(string database) => _sources.GetOrAdd(database, name =>
    {
        var o = _options.Value;
        // Bounded per workspace, and idle connections closed soon: a deployment has many workspaces, few of them busy at once.
        var idle = (int)Math.Max(1, o.WorkspacePoolIdleLifetime.TotalSeconds);
        var builder = new NpgsqlConnectionStringBuilder(_connection)
        {
            Database = name,
            MaxPoolSize = o.WorkspacePoolSize,
            ConnectionIdleLifetime = idle,
            ConnectionPruningInterval = Math.Min(idle, 10), // Npgsql requires it no longer than the idle lifetime
        };
        return NpgsqlDataSource.Create(builder);
    });

    /// <summary>After PostgreSQL restarted every pooled connection is dead: the home pool and every workspace's are cleared.</summary>
    public void ClearPools()
    {
        _home.Clear();
        foreach (var source in _sources.Values)
            source.Clear();
    }

    /// <summary>Whether Inlet's role is a superuser here, which decides how much of a workspace database it can harden.</summary>
    public async Task<bool> IsSuperuser(NpgsqlConnection connection, CancellationToken ct)
    {
        if (_superuser is { } known)
            return known;
        await using var command = new NpgsqlCommand("select rolsuper from pg_roles where rolname = current_user", connection);
        return (_superuser = (bool)(await command.ExecuteScalarAsync(ct))!).Value;
    }

    /// <summary>
    /// Inlet's home bookkeeping, and Inlet's own databases closed to <c>PUBLIC</c>, once per process. Several nodes may
    /// start at once: DDL racing on the same objects fails with a duplicate, and is simply run again.
    /// </summary>
    public async Task EnsureHome(CancellationToken ct)
    {
        if (_homeReady)
            return;
        await _homeGate.WaitAsync(ct);
        try
        {
            if (_homeReady)
                return;
            await using var connection = await _home.OpenConnectionAsync(ct);
            await Retrying(ct, async () =>
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await Sql(connection, tx, ct, $"""
                    create schema if not exists {Bookkeeping};
                    create table if not exists {Bookkeeping}.workspace_databases (
                        wsid text primary key,
                        database text not null,
                        setup_version int not null default 0,
                        created_at timestamptz not null default now());
                    create table if not exists {Bookkeeping}.login_locks (wsid text primary key);
                    """);
                await tx.CommitAsync(ct);
            });
            await CloseToPublic(connection, ct);
            _homeReady = true;
        }
        finally
        {
            _homeGate.Release();
        }
    }

    /// <summary>
    /// A workspace login may reach no database but its own: Inlet's (the home database and the event store's) lose
    /// <c>CONNECT</c> and <c>TEMPORARY</c> for <c>PUBLIC</c>, and so do <c>postgres</c> and <c>template1</c> where Inlet may
    /// change them. Advisory locks and NOTIFY/LISTEN are per database, so this is what closes those channels.
    /// </summary>
    private async Task CloseToPublic(NpgsqlConnection home, CancellationToken ct)
    {
        var superuser = await IsSuperuser(home, ct);
        var left = new List<string>();
        await CloseToPublic(home, superuser ? [HomeDatabase, "postgres", "template1"] : [HomeDatabase], superuser, left, ct);
        if (new NpgsqlConnectionStringBuilder(_eventStore) is { Database: { Length: > 0 } eventStore } es
            && !(eventStore == HomeDatabase && SameServer(es, new NpgsqlConnectionStringBuilder(_home.ConnectionString))))
        {
            // The event store may belong to another role of Inlet's: closed with that role's own rights.
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_eventStore) { Pooling = false }.ConnectionString);
            await connection.OpenAsync(ct);
            await using var su = new NpgsqlCommand("select rolsuper from pg_roles where rolname = current_user", connection);
            await CloseToPublic(connection, [eventStore], (bool)(await su.ExecuteScalarAsync(ct))!, left, ct);
        }
        if (left.Count > 0)
            _logger.LogWarning("PUBLIC may still connect to database(s) {Databases}: Inlet's role neither owns them nor is a superuser. Workspace logins could reach them; an operator should REVOKE CONNECT ON DATABASE … FROM PUBLIC (docs/operations.md, \"Workspace databases\").",
                string.Join(", ", left));
    }

    private static async Task CloseToPublic(NpgsqlConnection connection, IEnumerable<string> databases, bool superuser, List<string> left, CancellationToken ct)
    {
        foreach (var name in databases)
        {
            // Changed only when PUBLIC still has it: GRANT and REVOKE rewrite the database's catalogue row, and two nodes (or
            // deployments) rewriting it at once fail with "tuple concurrently updated".
            await using var state = new NpgsqlCommand("""
                select has_database_privilege('public', d.oid, 'CONNECT') or has_database_privilege('public', d.oid, 'TEMPORARY'),
                       pg_get_userbyid(d.datdba) = current_user
                from pg_database d where d.datname = $1
                """, connection) { Parameters = { new() { Value = name } } };
            bool open, owner;
            await using (var reader = await state.ExecuteReaderAsync(ct))
            {
                if (!await reader.ReadAsync(ct))
                    continue;
                (open, owner) = (reader.GetBoolean(0), reader.GetBoolean(1));
            }
            if (!open)
                continue;
            if (!owner && !superuser)
            {
                left.Add(name);
                continue;
            }
            await RetryingConcurrentUpdate(ct, () => Sql(connection, null, ct, $"revoke connect, temporary on database {SqlNames.Quote(name)} from public"));
        }
    }

    /// <summary>Catalogue rows rewritten by two sessions at once fail with "tuple concurrently updated" (XX000); the loser runs again.</summary>
    internal static async Task RetryingConcurrentUpdate(CancellationToken ct, Func<Task> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (PostgresException e) when (attempt < 10 && e.SqlState == PostgresErrorCodes.InternalError
                                                  && e.MessageText.Contains("concurrently", StringComparison.Ordinal))
            {
                await Task.Delay(20 * attempt, ct);
            }
        }
    }

    private static bool SameServer(NpgsqlConnectionStringBuilder a, NpgsqlConnectionStringBuilder b) =>
        string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>
    /// Makes sure the workspace's database exists, hardened at <see cref="SetupVersion"/>, holds the workspace's tables
    /// (moved from the shared layout if an older Inlet left them there) and grants its login, if it has one, what it reads.
    /// Nodes take turns on the workspace's row of <c>inlet_tabular.workspace_databases</c> in the home database.
    /// </summary>
    public async Task Ensure(string wsid, CancellationToken ct)
    {
        if (_ready.ContainsKey(wsid))
            return;
        var gate = _gates.GetOrAdd(wsid, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_ready.ContainsKey(wsid))
                return;
            await EnsureHome(ct);
            var name = NameFor(wsid);
            await using var home = await _home.OpenConnectionAsync(ct);
            await using var tx = await home.BeginTransactionAsync(ct);
            await using (var row = new NpgsqlCommand(
                $"insert into {Bookkeeping}.workspace_databases (wsid, database) values ($1, $2) on conflict (wsid) do nothing", home, tx))
            {
                row.Parameters.Add(new() { Value = wsid });
                row.Parameters.Add(new() { Value = name });
                await row.ExecuteNonQueryAsync(ct);
            }
            int version;
            await using (var locked = new NpgsqlCommand($"select setup_version from {Bookkeeping}.workspace_databases where wsid = $1 for update", home, tx))
            {
                locked.Parameters.Add(new() { Value = wsid });
                version = (int)(await locked.ExecuteScalarAsync(ct))!;
            }
            // Catalogue changes and the move run outside the lock's transaction, each committing (or retried) on its own.
            await using var admin = await _home.OpenConnectionAsync(ct);
            var created = await CreateDatabase(admin, name, ct);
            var hardened = created || version < SetupVersion;
            if (hardened)
            {
                // Also finishes a creation a crash interrupted (the database still closed to connections).
                var db = SqlNames.Quote(name);
                await RetryingConcurrentUpdate(ct, () => Sql(admin, null, ct, $"revoke all on database {db} from public; alter database {db} with allow_connections true"));
                await Harden(wsid, name, ct);
            }
            var moved = false;
            if (await LegacyTables.Present(admin, wsid, ct))
            {
                await using var target = await SourceFor(name).OpenConnectionAsync(ct);
                await LegacyTables.Move(admin, target, wsid, _logger, ct);
                moved = true;
            }
            var role = name;
            if (await RoleExists(home, tx, role, ct))
            {
                // A login of the shared layout could connect to the home database: it may no longer, and gets its own instead.
                if (await GrantedOnHome(home, tx, role, ct))
                    await RetryingConcurrentUpdate(ct, () => Sql(admin, null, ct, $"revoke all on database {SqlNames.Quote(HomeDatabase)} from {SqlNames.Quote(role)}"));
                if (hardened || moved)
                {
                    await using var target = await SourceFor(name).OpenConnectionAsync(ct);
                    await GrantReading(target, wsid, ct);
                    await Sql(admin, null, ct, $"alter role {SqlNames.Quote(role)} noinherit");
                }
            }
            if (hardened)
                await using (var done = new NpgsqlCommand($"update {Bookkeeping}.workspace_databases set setup_version = $2 where wsid = $1", home, tx))
                {
                    done.Parameters.Add(new() { Value = wsid });
                    done.Parameters.Add(new() { Value = SetupVersion });
                    await done.ExecuteNonQueryAsync(ct);
                }
            await tx.CommitAsync(ct);
            _ready[wsid] = true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Created closed: with <c>ALLOW_CONNECTIONS false</c> until <c>PUBLIC</c> lost <c>CONNECT</c> and <c>TEMPORARY</c>, so no
    /// other login ever connects to it, not even for a moment. From <c>template0</c>, so nothing an operator added to
    /// <c>template1</c> comes along.
    /// </summary>
    /// <returns>Whether it was created now.</returns>
    private static async Task<bool> CreateDatabase(NpgsqlConnection connection, string name, CancellationToken ct)
    {
        await using (var exists = new NpgsqlCommand("select exists (select 1 from pg_database where datname = $1)", connection) { Parameters = { new() { Value = name } } })
            if ((bool)(await exists.ExecuteScalarAsync(ct))!)
                return false;
        var db = SqlNames.Quote(name);
        try
        {
            // CREATE DATABASE may not run inside a transaction: on a connection other than the lock's.
            await Sql(connection, null, ct, $"create database {db} with template template0 allow_connections false");
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new WorkspaceDatabaseNotPermittedException($"Inlet's PostgreSQL role may not create the workspace database {name}: it needs CREATEDB. {e.MessageText}", e);
        }
        return true;
    }

    /// <summary>What every workspace database holds and refuses; idempotent, run again when <see cref="SetupVersion"/> rises.</summary>
    private async Task Harden(string wsid, string name, CancellationToken ct)
    {
        var schema = SqlNames.Quote(SchemaFor(wsid));
        await using var connection = await SourceFor(name).OpenConnectionAsync(ct);
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await Sql(connection, tx, ct, $"""
                set local lock_timeout = '10s';
                revoke all on schema public from public;
                create schema if not exists {Bookkeeping};
                revoke all on schema {Bookkeeping} from public;
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
                create table if not exists {Bookkeeping}.table_locks (table_name text primary key);
                create or replace function {Bookkeeping}.set_comment(s text, t text, c text, d text) returns void
                language plpgsql as $$
                begin
                    if c is null then
                        execute format('comment on table %I.%I is %L', s, t, d);
                    else
                        execute format('comment on column %I.%I.%I is %L', s, t, c, d);
                    end if;
                end $$;
                revoke all on function {Bookkeeping}.set_comment(text, text, text, text) from public;
                create schema if not exists {schema};
                """);
            await tx.CommitAsync(ct);
        }
        if (await IsSuperuser(connection, ct))
            await Sql(connection, null, ct, CatalogueHardening);
        else if (Interlocked.Exchange(ref _limitsLogged, 1) == 0)
            _logger.LogWarning(
                "Inlet's PostgreSQL role is not a superuser, so in workspace databases PUBLIC keeps EXECUTE on the large-object, advisory-lock and pg_notify functions and SELECT on the shared catalogue views (pg_roles, pg_stat_activity, pg_database, …): only a superuser may change pg_catalog. A workspace login can still reach only its own database; what it stores there (large objects) is dropped when its login is revoked (docs/operations.md, \"Workspace databases\").");
    }

    /// <summary>
    /// Inside a workspace database, what <c>PUBLIC</c> may do in pg_catalog that a read-only login does not need: write large
    /// objects, take advisory locks, notify, and read the catalogue views that list other sessions, databases and roles'
    /// settings. <c>pg_roles</c> keeps only <c>oid</c> and <c>rolname</c>: psql's <c>\d</c> reads them (role names are readable
    /// through <c>::regrole</c> anyway). Only a superuser may change pg_catalog.
    /// </summary>
    public const string CatalogueHardening = """
        do $$
        declare r record;
        begin
          for r in select p.oid::regprocedure as f from pg_proc p where p.pronamespace = 'pg_catalog'::regnamespace and (
                p.proname like 'lo\_%' or p.proname in ('lowrite', 'loread', 'pg_notify', 'pg_stat_get_activity', 'pg_lock_status', 'pg_blocking_pids',
                  'pg_safe_snapshot_blocking_pids', 'pg_stat_get_progress_info', 'pg_tablespace_size')
                or p.proname like 'pg\_advisory%' or p.proname like 'pg\_try\_advisory%'
                or p.proname like 'pg\_stat\_get\_backend%' or p.proname like 'pg\_stat\_get\_db\_%')
          loop
            execute format('revoke execute on function %s from public', r.f);
          end loop;
          for r in select c.oid::regclass as v from pg_class c where c.relnamespace = 'pg_catalog'::regnamespace and c.relname in (
                'pg_roles', 'pg_user', 'pg_group', 'pg_auth_members', 'pg_database', 'pg_shdescription', 'pg_db_role_setting', 'pg_stat_activity',
                'pg_stat_database', 'pg_stat_database_conflicts', 'pg_stat_ssl', 'pg_stat_gssapi', 'pg_locks', 'pg_prepared_xacts',
                'pg_stat_progress_vacuum', 'pg_stat_progress_analyze', 'pg_stat_progress_create_index', 'pg_stat_progress_cluster',
                'pg_stat_progress_basebackup', 'pg_stat_progress_copy', 'pg_replication_slots', 'pg_stat_replication', 'pg_stat_wal_receiver',
                'pg_stat_subscription', 'pg_replication_origin_status', 'pg_shseclabel', 'pg_seclabels', 'pg_largeobject_metadata')
          loop
            execute format('revoke select on %s from public', r.v);
          end loop;
          grant select (oid, rolname) on pg_catalog.pg_roles to public;
        end $$;
        """;

    /// <summary>The login reads every table of its workspace's schema, tables loaded later included (default privileges of Inlet's role, which creates them).</summary>
    public async Task GrantReading(NpgsqlConnection workspace, string wsid, CancellationToken ct)
    {
        var role = SqlNames.Quote(NameFor(wsid));
        var schema = SqlNames.Quote(SchemaFor(wsid));
        await Sql(workspace, null, ct, $"""
            grant connect on database {SqlNames.Quote(NameFor(wsid))} to {role};
            grant usage on schema {schema} to {role};
            grant select on all tables in schema {schema} to {role};
            alter default privileges in schema {schema} grant select on tables to {role};
            """);
    }

    private static async Task<bool> GrantedOnHome(NpgsqlConnection home, NpgsqlTransaction tx, string role, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select exists (select 1 from pg_database d, aclexplode(d.datacl) a
                           where d.datname = current_database() and a.grantee = (select oid from pg_roles where rolname = $1))
            """, home, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    public static async Task<bool> RoleExists(NpgsqlConnection connection, NpgsqlTransaction? tx, string role, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select exists (select 1 from pg_roles where rolname = $1)", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Workspaces an older Inlet left in the shared layout: schemas <c>ws_*</c> of the home database, rows of its old
    /// bookkeeping, and logins granted on the home database itself (members of this deployment's group only).
    /// </summary>
    public async Task<IReadOnlyList<string>> LegacyWorkspaces(CancellationToken ct)
    {
        await EnsureHome(ct);
        await using var connection = await _home.OpenConnectionAsync(ct);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var schema in await LegacyTables.Schemas(connection, ct))
            if (schema[3..].Replace('_', '-') is var wsid && WorkspaceId.IsValid(wsid))
                found.Add(wsid);
        await using (var command = new NpgsqlCommand("""
            select r.rolname from pg_roles r
            join pg_auth_members m on m.member = r.oid join pg_roles g on g.oid = m.roleid and g.rolname = $1
            where exists (select 1 from pg_database d, aclexplode(d.datacl) a where d.datname = current_database() and a.grantee = r.oid)
            """, connection))
        {
            command.Parameters.Add(new() { Value = GroupRole });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                if (WorkspaceOf(reader.GetString(0)) is { } wsid)
                    found.Add(wsid);
        }
        foreach (var wsid in await LegacyTables.BookkeptWorkspaces(connection, ct))
            if (WorkspaceId.IsValid(wsid))
                found.Add(wsid);
        return [.. found];
    }

    internal static async Task Sql(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task Retrying(CancellationToken ct, Func<Task> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (PostgresException e) when (attempt < 5 && e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable
                                                  or PostgresErrorCodes.DuplicateSchema or PostgresErrorCodes.DuplicateObject)
            {
                await Task.Delay(50 * attempt, ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources.Values)
            await source.DisposeAsync();
        await _home.DisposeAsync();
    }
}

/// <summary>Inlet's own role lacks a privilege the workspace databases need; the message says which.</summary>
public sealed class WorkspaceDatabaseNotPermittedException(string message, Exception inner) : Exception(message, inner);
