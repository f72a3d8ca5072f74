using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CCApi.ServiceDefaults;

public static class HealthTags
{
    /// <summary>Checks that must pass before the pod takes traffic (bus, Redis, …). Liveness runs none of them.</summary>
    public const string Ready = "ready";
}

public static class HealthEndpoints
{
    /// <summary>What a probe sends (kubelet, Docker, curl): anything else is 405 with <c>Allow</c>, as on every other route.</summary>
    private static readonly HttpMethodMetadata ProbeMethods = new([HttpMethods.Get, HttpMethods.Head]);

    /// <summary>/health/live, /health/ready and the Prometheus scrape endpoint.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Liveness: the process answers. Never depends on RabbitMQ or Redis, so an outage does not restart pods.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithMetadata(ProbeMethods);
        // Until the host has started (the bus connected, or its startup wait spent), not ready without running the checks:
        // a probe in those first milliseconds would find the bus "not started" and the health check service would log
        // that as an error on every normal start. An outage after start runs the checks and is logged as before.
        var started = app.Lifetime.ApplicationStarted;
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(HealthTags.Ready), ResponseWriter = WriteAsync })
            .WithMetadata(ProbeMethods)
            .Add(endpoint =>
            {
                var check = endpoint.RequestDelegate!;
                endpoint.RequestDelegate = context => started.IsCancellationRequested ? check(context) : StartingAsync(context);
            });
        app.MapMetricsEndpoint(); // /metrics for Prometheus, unless Telemetry__PrometheusEnabled=false
        return app;
    }

    private static Task StartingAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store, no-cache";
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("{\"status\":\"Starting\",\"checks\":{}}");
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var entries = string.Join(",", report.Entries.Select(e =>
            $"\"{e.Key}\":\"{e.Value.Status}\""));
        return context.Response.WriteAsync($"{{\"status\":\"{report.Status}\",\"checks\":{{{entries}}}}}");
    }
}
