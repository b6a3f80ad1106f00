using System.Globalization;
using Inlet.Tabular.Database;
using Inlet.Tabular.Loading;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>
/// The PostgreSQL side of a workspace's database login (docs/adr/0019, 0031): one login role per workspace that may
/// connect to its workspace's own database and read its schema — tables loaded later included, through default
/// privileges of the role that loads them — and nothing else. Every step is idempotent, so a retry after a crash
/// completes what the first attempt began.
/// </summary>
public sealed class WorkspaceRoles(WorkspaceDatabase database, IOptions<DatabaseCredentialsOptions> options, ILogger<WorkspaceRoles> logger)
{
    /// <summary>How long revocation and rotation wait for a login's sessions to end, and Inlet for any lock, before they say so.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>The login's name: the same as its workspace database's (<see cref="WorkspaceDatabase.NameFor"/>).</summary>
    public string RoleFor(string wsid) => database.NameFor(wsid);

    public string GroupRole => database.GroupRole;

    /// <summary>Creates the workspace's login, or gives it a new password; ends the sessions of the old one.</summary>
    /// <returns>How many sessions were ended.</returns>
    public async Task<int> Provision(string wsid, string scramVerifier, CancellationToken ct)
    {
        var o = options.Value;
        var name = RoleFor(wsid);
        var role = SqlNames.Quote(name);
        var group = SqlNames.Quote(GroupRole);
        var schema = SqlNames.Quote(WorkspaceDatabase.SchemaFor(wsid));
        await database.Ensure(wsid, ct); // created, hardened and its tables in place first
        await using var connection = await database.OpenHome(ct);
        await Limit(connection, ct);
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            // Roles are cluster-wide: another deployment's Inlet (or a test) may create the group at the same moment.
            // A new role has no attribute beyond LOGIN (only a superuser may even name NOSUPERUSER), checked below. NOINHERIT: the
            // group confers nothing, and nothing granted to it later could reach the logins either.
            await Sql(connection, tx, ct, $"""
                do $$ begin create role {group} nologin; exception when duplicate_object or unique_violation then null; end $$;
                do $$ begin create role {role}; exception when duplicate_object or unique_violation then null; end $$;
                alter role {role} with login noinherit connection limit {o.WorkspaceConnectionLimit.ToString(CultureInfo.InvariantCulture)} password {SqlNames.Literal(scramVerifier)};
                grant {group} to {role};
                alter role {role} set statement_timeout = {Milliseconds(o.WorkspaceStatementTimeout)};
                alter role {role} set idle_in_transaction_session_timeout = {Milliseconds(o.WorkspaceIdleInTransactionTimeout)};
                alter role {role} set default_transaction_read_only = on;
                alter role {role} set search_path = {schema};
                """);
            await RefuseElevated(connection, tx, name, ct);
            await tx.CommitAsync(ct);
        }
        await using (var workspace = await database.Open(wsid, ct))
            await database.GrantReading(workspace, wsid, ct);
        return await EndSessions(connection, name, ct);
    }

    /// <summary>
    /// Takes the login away: no new session, the open ones ended (waited for), everything it owns or was granted dropped in
    /// every database it left something in, and the role dropped. Inlet never waits on a lock the login holds: its
    /// sessions end first, and every statement has a lock timeout.
    /// </summary>
    /// <returns>How many sessions were ended.</returns>
    public async Task<int> Drop(string wsid, CancellationToken ct)
    {
        var name = RoleFor(wsid);
        var role = SqlNames.Quote(name);
        await using var connection = await database.OpenHome(ct);
        await Limit(connection, ct);
        if (!await WorkspaceDatabase.RoleExists(connection, null, name, ct))
            return 0;
        // First no new sessions (and no password that would let one in again), then end the open ones: in the other order one could slip in between.
        await Sql(connection, null, ct, $"alter role {role} nologin password null");
        var ended = await EndSessions(connection, name, ct);
        // Out of the group before Inlet may need to become a member of the login: pg_hba's +group must never match Inlet's role.
        await Sql(connection, null, ct, $"revoke {SqlNames.Quote(GroupRole)} from {role}");
        var superuser = await database.IsSuperuser(connection, ct);
        if (!superuser)
            await Sql(connection, null, ct, $"grant {role} to current_user"); // DROP OWNED needs the privileges of the role
        var left = new List<string>();
        foreach (var db in await DatabasesWithObjectsOf(connection, name, ct))
        {
            try
            {
                await using var other = db == database.HomeDatabase ? await database.DataSource.OpenConnectionAsync(ct)
                    : db == name ? await database.SourceFor(name).OpenConnectionAsync(ct)
                    : await database.OpenOther(db, ct);
                await Limit(other, ct);
                // Its large objects, its privileges here and on shared objects (CONNECT), its default privileges: all of it.
                await Sql(other, null, ct, $"drop owned by {role}");
            }
            catch (NpgsqlException e)
            {
                // Noted, and the role is still made useless below; the next DELETE tries again.
                left.Add($"{db} ({(e as PostgresException)?.MessageText ?? e.Message})");
            }
        }
        try
        {
            await Sql(connection, null, ct, $"drop role {role}");
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DependentObjectsStillExist or PostgresErrorCodes.LockNotAvailable)
        {
            // Still revoked: it can no longer log in and has no password. Only an operator can reach what it left.
            logger.LogError("The revoked login {Role} could not be dropped: it still owns or is granted something in {Databases}: {Detail}. It can no longer log in; an operator must DROP OWNED BY it there and drop it.",
                name, left.Count > 0 ? string.Join(", ", left) : "a database Inlet cannot reach", e.Detail ?? e.MessageText);
        }
        return ended;
    }

    /// <summary>Every database of the server in which the role owns something or was granted something (pg_shdepend is shared).</summary>
    private async Task<List<string>> DatabasesWithObjectsOf(NpgsqlConnection connection, string role, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select distinct d.datname from pg_shdepend s join pg_database d on d.oid = s.dbid
            where s.refclassid = 'pg_authid'::regclass and s.refobjid = (select oid from pg_roles where rolname = $1)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        var databases = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                databases.Add(reader.GetString(0));
        // Its own database always: grants on shared objects (CONNECT) are listed under no database, and DROP OWNED anywhere revokes them.
        if (!databases.Contains(role))
        {
            await using var exists = new NpgsqlCommand("select exists (select 1 from pg_database where datname = $1)", connection) { Parameters = { new() { Value = role } } };
            if ((bool)(await exists.ExecuteScalarAsync(ct))!)
                databases.Add(role);
        }
        return databases;
    }

    /// <summary>
    /// Holds the workspace's login for one request (across nodes) until disposed: two rotations at once would otherwise
    /// each hand out a password, only one of which works. A row lock in the home database, which no workspace login can
    /// reach, on a row named by nothing a login could take a lock on.
    /// </summary>
    public async Task<IAsyncDisposable> Lock(string wsid, CancellationToken ct)
    {
        var connection = await database.OpenHome(ct);
        try
        {
            await using (var row = new NpgsqlCommand($"insert into {WorkspaceDatabase.Bookkeeping}.login_locks (wsid) values ($1) on conflict do nothing", connection))
            {
                row.Parameters.Add(new NpgsqlParameter { Value = wsid });
                await row.ExecuteNonQueryAsync(ct);
            }
            var tx = await connection.BeginTransactionAsync(ct);
            await using (var locked = new NpgsqlCommand($"select 1 from {WorkspaceDatabase.Bookkeeping}.login_locks where wsid = $1 for update", connection, tx))
            {
                locked.Parameters.Add(new NpgsqlParameter { Value = wsid });
                await locked.ExecuteNonQueryAsync(ct);
            }
            return new Held(connection, tx);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Held(NpgsqlConnection connection, NpgsqlTransaction tx) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await tx.RollbackAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is broken, and the lock went with it.
            }
            finally
            {
                await tx.DisposeAsync();
                await connection.DisposeAsync();
            }
        }
    }

    public async Task<bool> Exists(string wsid, CancellationToken ct)
    {
        await using var connection = await database.OpenHome(ct);
        return await WorkspaceDatabase.RoleExists(connection, null, RoleFor(wsid), ct);
    }

    /// <summary>A role of that name made by someone else, with more than a login may have, is never handed out.</summary>
    private static async Task RefuseElevated(NpgsqlConnection connection, NpgsqlTransaction tx, string role, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select rolsuper or rolcreatedb or rolcreaterole or rolreplication or rolbypassrls from pg_roles where rolname = $1", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        if (await command.ExecuteScalarAsync(ct) is true)
            throw new InvalidOperationException($"PostgreSQL role {role} exists with attributes beyond LOGIN (superuser, createdb, createrole, replication or bypassrls); it is not handed out as a workspace login. An operator must drop or reduce it.");
    }

    /// <summary>Ends the login's sessions and waits until they are gone (at most <see cref="Patience"/>): what they held is released then.</summary>
    private static async Task<int> EndSessions(NpgsqlConnection connection, string role, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select count(*) filter (where pg_terminate_backend(pid, $2)) from pg_stat_activity where usename = $1 and pid <> pg_backend_pid()", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)Patience.TotalMilliseconds });
        var ended = Convert.ToInt32(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        await using var left = new NpgsqlCommand("select count(*) from pg_stat_activity where usename = $1", connection);
        left.Parameters.Add(new NpgsqlParameter { Value = role });
        var until = DateTime.UtcNow + Patience;
        while ((long)(await left.ExecuteScalarAsync(ct))! > 0 && DateTime.UtcNow < until)
            await Task.Delay(20, ct);
        return ended;
    }

    /// <summary>Inlet never waits long on a lock someone else holds: it fails, and says so, instead.</summary>
    private static Task Limit(NpgsqlConnection connection, CancellationToken ct) =>
        Sql(connection, null, ct, $"set lock_timeout = {Milliseconds(Patience)}");

    private static async Task Sql(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string Milliseconds(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

}
