using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inlet.Tabular.Database;

/// <summary>
/// On start, closes Inlet's own databases to <c>PUBLIC</c> and moves every workspace an older Inlet left in the shared
/// layout into its own database (docs/adr/0031), so its login works against the new database without waiting for the
/// workspace's next load. Nodes starting together take turns per workspace; a workspace that fails here is moved on its
/// first use instead.
/// </summary>
public sealed class WorkspaceDatabaseStartup(WorkspaceDatabase database, ILogger<WorkspaceDatabaseStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var legacy = await database.LegacyWorkspaces(stoppingToken);
            foreach (var wsid in legacy)
            {
                try
                {
                    await database.Ensure(wsid, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Workspace {Wsid} could not be moved into its own database; it is tried again on its next use.", wsid);
                }
            }
            if (legacy.Count > 0)
                logger.LogInformation("{Count} workspace(s) of the shared database layout checked and moved into their own databases.", legacy.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "The workspace databases could not be checked on start; each workspace is set up on its next use.");
        }
    }
}
