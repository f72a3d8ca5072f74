using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CCApi.ServiceDefaults;

public static class HealthTags
{
    /// <summary>Checks that must pass before the pod takes traffic (bus, Redis, …). Liveness runs none of them.</summary>
    public const string Ready = "ready";
}

public static class HealthEndpoints
{
    /// <summary>/health/live, /health/ready and the Prometheus scrape endpoint.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Liveness: the process answers. Never depends on RabbitMQ or Redis, so an outage does not restart pods.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(HealthTags.Ready), ResponseWriter = WriteAsync });
        app.MapMetricsEndpoint(); // /metrics for Prometheus, unless Telemetry__PrometheusEnabled=false
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var entries = string.Join(",", report.Entries.Select(e =>
            $"\"{e.Key}\":\"{e.Value.Status}\""));
        return context.Response.WriteAsync($"{{\"status\":\"{report.Status}\",\"checks\":{{{entries}}}}}");
    }
}
