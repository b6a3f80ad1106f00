namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>
/// Configuration section <c>Database</c>: where analysts connect to a workspace's database, and what its
/// login may do (docs/adr/0019, docs/operations.md).
/// </summary>
public sealed class DatabaseCredentialsOptions
{
    /// <summary>
    /// The host name users connect to, as seen from inside the workspaces (a private endpoint, a proxy).
    /// Empty: the host of the workspace database's connection string, which is only right when Inlet and
    /// the workspaces reach PostgreSQL by the same name.
    /// </summary>
    public string WorkspaceHost { get; set; } = "";

    /// <summary>The port users connect to; 0: the workspace database's own port.</summary>
    public int WorkspacePort { get; set; }

    /// <summary>The <c>sslmode</c> of the URL handed out (<c>require</c> for a managed PostgreSQL); empty leaves it out.</summary>
    public string WorkspaceSslMode { get; set; } = "";

    /// <summary>How many sessions one workspace's login may hold at once.</summary>
    public int WorkspaceConnectionLimit { get; set; } = 10;

    /// <summary>The longest statement a workspace login may run; longer ones are cancelled.</summary>
    public TimeSpan WorkspaceStatementTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a workspace login may sit idle inside an open transaction before its session is ended: an
    /// analyst's forgotten <c>BEGIN</c> would otherwise hold a lock that keeps every reload of that table waiting.
    /// </summary>
    public TimeSpan WorkspaceIdleInTransactionTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often each node checks for workspace sessions that lifted their own limits (<c>SET statement_timeout = 0</c>)
    /// and stops them (<see cref="WorkspaceSessionLimits"/>).
    /// </summary>
    public TimeSpan WorkspaceSessionSweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Role names are cluster-wide, unlike schemas: two Inlet deployments sharing one PostgreSQL server
    /// need different prefixes. Lower-case letters, digits and '_', at most 16 characters.
    /// </summary>
    public string WorkspaceRolePrefix { get; set; } = "inlet_";

    /// <summary>
    /// Connections Inlet's pool for one workspace database holds at most (each workspace has a database of its own,
    /// docs/adr/0031); loads of a node are bounded by <c>Tabular:MaxConcurrentLoads</c> as well.
    /// </summary>
    public int WorkspacePoolSize { get; set; } = 5;

    /// <summary>How long an idle connection to a workspace database stays in Inlet's pool: most workspaces are quiet most of the time.</summary>
    public TimeSpan WorkspacePoolIdleLifetime { get; set; } = TimeSpan.FromSeconds(60);
}
