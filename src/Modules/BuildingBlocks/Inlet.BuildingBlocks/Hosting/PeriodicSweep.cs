using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inlet.BuildingBlocks.Hosting;

/// <summary>
/// Background work every node repeats on its own timer: one pass per interval, a failed pass logged and
/// tried again at the next. Passes must be idempotent, since nodes overlap.
/// </summary>
public abstract class PeriodicSweep(ILogger logger) : BackgroundService
{
    /// <summary>Real time, not the TimeProvider: how often to look is an operational rhythm, not business time.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One pass; what it reports is logged when not null.</summary>
    protected abstract Task<string?> Pass(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, stoppingToken);
                if (await Pass(stoppingToken) is { } report)
                    logger.LogInformation("{Sweep}: {Report}", GetType().Name, report);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "{Sweep} failed; it runs again at the next interval", GetType().Name);
            }
        }
    }
}
