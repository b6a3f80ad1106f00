using System.Globalization;
using System.Text.RegularExpressions;
using Inlet.BuildingBlocks.Auth;
using Inlet.Tabular.Database;
using Inlet.Tabular.Loading;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>
/// The PostgreSQL side of a workspace's database login (docs/adr/0019): one login role per workspace that
/// may read its workspace's schema — tables loaded later included, through default privileges of the
/// role that loads them — and nothing else. Every step is idempotent, so a retry after a crash completes
/// what the first attempt began.
/// </summary>
public sealed partial class WorkspaceRoles(WorkspaceDatabase database, IOptions<DatabaseCredentialsOptions> options)
{
    [GeneratedRegex("^[a-z][a-z0-9_]{0,15}$")]
    private static partial Regex PrefixPattern();

    private string Prefix
    {
        get
        {
            var prefix = options.Value.WorkspaceRolePrefix;
            return PrefixPattern().IsMatch(prefix)
                ? prefix
                : throw new InvalidOperationException($"Database:WorkspaceRolePrefix '{prefix}' must be 1–16 lower-case letters, digits or '_', starting with a letter.");
        }
    }

    /// <summary>Prefix + "ws_" + the workspace id: at most 16 + 3 + 40 characters, within PostgreSQL's 63.</summary>
    public string RoleFor(string wsid) => WorkspaceId.IsValid(wsid)
        ? Prefix + "ws_" + wsid.Replace('-', '_')
        : throw new ArgumentException("Not a workspace id.", nameof(wsid));

    /// <summary>
    /// Every workspace login is a member of this group, which itself may do nothing: it names the logins
    /// as one for pg_hba.conf (<c>+inlet_workspace_logins</c>) and for an operator's queries.
    /// </summary>
    public string GroupRole => Prefix + "workspace_logins";

    /// <summary>Creates the workspace's login, or gives it a new password; ends the sessions of the old one.</summary>
    /// <returns>How many sessions were ended.</returns>
    public async Task<int> Provision(string wsid, string scramVerifier, CancellationToken ct)
    {
        var o = options.Value;
        var role = SqlNames.Quote(RoleFor(wsid));
        var group = SqlNames.Quote(GroupRole);
        var schema = SqlNames.Quote(WorkspaceDatabase.SchemaFor(wsid));
        await using var connection = await database.Open(ct);
        var db = SqlNames.Quote(connection.Database);
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await SerialiseGrants(connection, tx, ct);
            // Roles are cluster-wide: another database's Inlet (or a test) may create the group at the same moment.
            // A new role has no attribute beyond LOGIN (only a superuser may even name NOSUPERUSER), checked below.
            await Execute(connection, tx, ct, $"""
                do $$ begin create role {group} nologin; exception when duplicate_object or unique_violation then null; end $$;
                do $$ begin create role {role}; exception when duplicate_object or unique_violation then null; end $$;
                alter role {role} with login connection limit {o.WorkspaceConnectionLimit.ToString(CultureInfo.InvariantCulture)} password {Literal(scramVerifier)};
                grant {group} to {role};
                alter role {role} set statement_timeout = {Milliseconds(o.WorkspaceStatementTimeout)};
                alter role {role} set idle_in_transaction_session_timeout = {Milliseconds(o.WorkspaceIdleInTransactionTimeout)};
                alter role {role} set default_transaction_read_only = on;
                alter role {role} set search_path = {schema};
                create schema if not exists {schema};
                grant connect on database {db} to {role};
                grant usage on schema {schema} to {role};
                grant select on all tables in schema {schema} to {role};
                alter default privileges in schema {schema} grant select on tables to {role};
                revoke temporary on database {db} from public;
                """);
            await RefuseElevated(connection, tx, RoleFor(wsid), ct);
            await tx.CommitAsync(ct);
        }
        return await EndSessions(connection, RoleFor(wsid), ct);
    }

    /// <summary>Takes the login away: no new session, the open ones ended, the role and its grants dropped.</summary>
    /// <returns>How many sessions were ended.</returns>
    public async Task<int> Drop(string wsid, CancellationToken ct)
    {
        var name = RoleFor(wsid);
        var role = SqlNames.Quote(name);
        var schema = WorkspaceDatabase.SchemaFor(wsid);
        await using var connection = await database.Open(ct);
        if (!await RoleExists(connection, name, ct))
            return 0;
        // First no new sessions, then end the open ones: in the other order one could slip in between.
        await Execute(connection, null, ct, $"alter role {role} nologin");
        var ended = await EndSessions(connection, name, ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await SerialiseGrants(connection, tx, ct);
        var db = SqlNames.Quote(connection.Database);
        var quotedSchema = SqlNames.Quote(schema);
        // Revoked one by one rather than DROP OWNED BY, which needs membership in the role Inlet does not take.
        if (await SchemaExists(connection, tx, schema, ct))
            await Execute(connection, tx, ct, $"""
                alter default privileges in schema {quotedSchema} revoke select on tables from {role};
                revoke select on all tables in schema {quotedSchema} from {role};
                revoke usage on schema {quotedSchema} from {role};
                """);
        await Execute(connection, tx, ct, $"""
            revoke connect on database {db} from {role};
            drop role {role};
            """);
        await tx.CommitAsync(ct);
        return ended;
    }

    /// <summary>
    /// Holds the workspace's login for one request (across nodes) until disposed: two rotations at once
    /// would otherwise each hand out a password, only one of which works.
    /// </summary>
    public async Task<IAsyncDisposable> Lock(string wsid, CancellationToken ct)
    {
        var key = "inlet_database_credentials:" + wsid;
        var connection = await database.Open(ct);
        try
        {
            await using var command = new NpgsqlCommand("select pg_advisory_lock(hashtext($1))", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            await command.ExecuteNonQueryAsync(ct);
            return new Held(connection, key);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Unlocks explicitly: a pooled connection keeps its session, and with it the lock, when closed.</summary>
    private sealed class Held(NpgsqlConnection connection, string key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("select pg_advisory_unlock(hashtext($1))", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = key });
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The session is broken, and the lock went with it.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    public async Task<bool> Exists(string wsid, CancellationToken ct)
    {
        await using var connection = await database.Open(ct);
        return await RoleExists(connection, RoleFor(wsid), ct);
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

    private static async Task<int> EndSessions(NpgsqlConnection connection, string role, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity where usename = $1 and pid <> pg_backend_pid()", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Grants on the same database row from two transactions fail with "tuple concurrently updated", so
    /// provisioning and dropping take turns within a database.
    /// </summary>
    private static Task SerialiseGrants(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct) =>
        Execute(connection, tx, ct, "select pg_advisory_xact_lock(hashtext('inlet_workspace_roles'))");

    private static async Task<bool> RoleExists(NpgsqlConnection connection, string role, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select exists (select 1 from pg_roles where rolname = $1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = role });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<bool> SchemaExists(NpgsqlConnection connection, NpgsqlTransaction tx, string schema, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select exists (select 1 from pg_namespace where nspname = $1)", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string Milliseconds(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
