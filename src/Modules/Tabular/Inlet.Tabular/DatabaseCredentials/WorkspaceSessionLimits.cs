using System.Globalization;
using Inlet.BuildingBlocks.Hosting;
using Inlet.Tabular.Database;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>
/// Enforces the workspace logins' limits against clients that lift them: the role's
/// <c>statement_timeout</c> and <c>idle_in_transaction_session_timeout</c> are only defaults, which any
/// session may <c>SET</c> to 0. Each pass cancels a login's statement that has run longer than
/// <c>Database:WorkspaceStatementTimeout</c> and ends a session idle in a transaction for longer than
/// <c>Database:WorkspaceIdleInTransactionTimeout</c>. Well-behaved sessions never meet it: PostgreSQL's
/// own timeouts stop them first.
/// </summary>
public sealed class WorkspaceSessionLimits(WorkspaceDatabase database, WorkspaceRoles roles, IOptions<DatabaseCredentialsOptions> options,
    ILogger<WorkspaceSessionLimits> logger) : PeriodicSweep(logger)
{
    /// <summary>PostgreSQL's own timeout goes first, with its clearer message; this only catches sessions that lifted it.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    protected override TimeSpan Interval => options.Value.WorkspaceSessionSweepInterval;

    protected override async Task<string?> Pass(CancellationToken ct)
    {
        var (cancelled, ended) = await RunOnce(ct);
        return cancelled + ended > 0 ? $"cancelled {cancelled} statements over the time limit, ended {ended} sessions idle in a transaction" : null;
    }

    public async Task<(int Cancelled, int Ended)> RunOnce(CancellationToken ct)
    {
        var o = options.Value;
        // Straight from the pool: a check of sessions needs none of the bookkeeping tables Open sets up.
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        // Members of the logins' group only: Inlet's own sessions, and anyone else's, are never touched.
        await using var command = new NpgsqlCommand("""
            with logins as (
                select a.pid, a.state, a.query_start, a.state_change
                from pg_stat_activity a
                join pg_auth_members m on m.member = a.usesysid
                join pg_roles g on g.oid = m.roleid and g.rolname = $1
                where a.pid <> pg_backend_pid())
            select
                (select count(*) filter (where pg_cancel_backend(pid)) from logins
                 where state = 'active' and clock_timestamp() - query_start > $2 * interval '1 millisecond'),
                (select count(*) filter (where pg_terminate_backend(pid)) from logins
                 where state like 'idle in transaction%' and clock_timestamp() - state_change > $3 * interval '1 millisecond')
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = roles.GroupRole });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)(o.WorkspaceStatementTimeout + Grace).TotalMilliseconds });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)(o.WorkspaceIdleInTransactionTimeout + Grace).TotalMilliseconds });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (Convert.ToInt32(reader.GetInt64(0), CultureInfo.InvariantCulture), Convert.ToInt32(reader.GetInt64(1), CultureInfo.InvariantCulture));
    }
}
