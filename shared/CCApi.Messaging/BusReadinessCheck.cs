using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CCApi.Messaging;

/// <summary>
/// Readiness of the bus: ready only when MassTransit reports it Healthy — connected and every receive endpoint consuming.
/// MassTransit's own check reports a bus whose connection is back but some of whose endpoints are still restarting as
/// Degraded, which /health/ready answers with 200: after a 3 s broker stop every service was "ready" while the adapter's
/// command queue had no consumer for another 6–33 s, and the gateway answered those seconds with 503 "no adapter is
/// running". Registered under MassTransit's name ("masstransit-bus"); MassTransit's check keeps only its "masstransit" tag.
/// </summary>
internal sealed class BusReadinessCheck(IBusControl bus) : IHealthCheck
{
    public const string Name = "masstransit-bus";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var health = bus.CheckHealth();
        if (health.Status == BusHealthStatus.Healthy)
        {
            return Task.FromResult(HealthCheckResult.Healthy(health.Description));
        }

        var waiting = health.Endpoints.Where(e => e.Value.Status != BusHealthStatus.Healthy).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
        var description = waiting.Count == 0
            ? health.Description
            : $"{health.Description} Not consuming: {string.Join(", ", waiting)}.";
        return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, description, health.Exception));
    }
}
