using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Inlet.BuildingBlocks.Scanning;

/// <summary>
/// Readiness says why files wait in <c>scanning</c>: clamd unreachable or not configured. Degraded, not
/// unhealthy — the Host still serves everything else, and nothing is released unscanned meanwhile.
/// </summary>
public sealed class ScannerReadiness(ClamdClient clamd, IOptions<ScanningOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (!options.Value.Enabled)
            return HealthCheckResult.Healthy("Scanning is off (Scanning:Enabled false): files are routed unscanned.");
        return await clamd.Ping(ct)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded("The malware scanner is not available, so new files wait in 'scanning': " + clamd.LastFailure);
    }
}
