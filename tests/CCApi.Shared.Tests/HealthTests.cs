using System.Net;
using CCApi.ServiceDefaults;
using CCApi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CCApi.Shared.Tests;

/// <summary>
/// /health/ready while the host is still starting: the HTTP server listens beside the other hosted services (they start
/// concurrently), so a probe can come before the bus is up. It answers 503 without running the checks — a check that
/// would fail then is not an outage, and the health check service logs every failed check as an error.
/// </summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Readiness_is_503_without_running_the_checks_until_the_host_has_started_then_runs_them()
    {
        var port = TestInfrastructure.FreePort();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checks = 0;
        var log = new CategoryLog("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService");
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.AddServiceDefaults();
        builder.Services.AddHostedService(_ => new SlowStart(gate.Task)); // stands in for the bus still connecting
        builder.Services.AddHealthChecks().AddCheck("dependency", () =>
        {
            Interlocked.Increment(ref checks);
            return HealthCheckResult.Unhealthy("not started");
        }, tags: [HealthTags.Ready]);
        await using var app = builder.Build();
        app.UseServiceDefaults();
        app.MapDefaultEndpoints();
        var running = app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        (await TestInfrastructure.EventuallyAsync(async () =>
        {
            try
            {
                return (await client.GetAsync("/health/live")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false; // not listening yet
            }
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20))).ShouldBeTrue();
        var starting = await client.GetAsync("/health/ready");

        starting.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await starting.Content.ReadAsStringAsync()).ShouldContain("\"Starting\"");
        checks.ShouldBe(0);
        log.Lines.ShouldBeEmpty();

        gate.SetResult();
        await running;
        var started = await client.GetAsync("/health/ready");

        started.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await started.Content.ReadAsStringAsync()).ShouldContain("\"dependency\":\"Unhealthy\"");
        checks.ShouldBe(1);
        log.Lines.ShouldContain(line => line.Contains("dependency", StringComparison.Ordinal)); // a real outage is still logged
        await app.StopAsync();
    }

    private sealed class SlowStart(Task gate) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => gate.WaitAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
