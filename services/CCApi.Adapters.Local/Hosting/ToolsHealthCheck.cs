using CCApi.Adapters.Local.Audio;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Hosting;

/// <summary>
/// Readiness: espeak-ng must exist (else Unhealthy); a missing encoder only degrades (that one format fails with 502).
/// Looks the programs up on disk instead of running them, so probes stay cheap.
/// </summary>
public sealed class ToolsHealthCheck(IOptions<LocalAdapterOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        if (!ExternalTool.Exists(o.EspeakPath))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"{o.EspeakPath} not found."));
        }

        var missing = new[] { o.LamePath, o.OggencPath, o.OpusencPath, o.FlacPath }.Where(t => !ExternalTool.Exists(t)).ToList();
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy("espeak-ng and encoders found.")
            : HealthCheckResult.Degraded($"Missing encoders: {string.Join(", ", missing)}."));
    }
}
