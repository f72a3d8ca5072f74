using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// Publishes <see cref="CCApi.Contracts.ProviderHeartbeat"/> at start, every <see cref="AdapterOptions.HeartbeatInterval"/>,
/// and at once when <see cref="ProviderHealth"/> says its status changed (the circuit opened or closed), so the catalog
/// shows "degraded" while calls fail fast. What the status is comes from the adapter's <see cref="IProviderStatusSource"/>s.
/// </summary>
public sealed partial class ProviderHeartbeatService(IBus bus, ProviderHealth health, AdapterOptions options, ILogger<ProviderHeartbeatService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = "";
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var heartbeat = health.Heartbeat();
                await bus.Publish(heartbeat, stoppingToken);
                if (heartbeat.Status != last)
                {
                    if (heartbeat.Detail is { } detail)
                    {
                        LogStatus(logger, heartbeat.Provider, heartbeat.Status, detail);
                    }
                    else
                    {
                        LogStatusWithoutDetail(logger, heartbeat.Provider, heartbeat.Status); // not ": (null)"
                    }

                    last = heartbeat.Status;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogHeartbeatFailed(logger, ex);
            }

            await health.WaitForChangeAsync(options.HeartbeatInterval, stoppingToken); // a change, or the interval elapsed
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider} is {Status}: {Detail}")]
    private static partial void LogStatus(ILogger logger, string provider, string status, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider} is {Status}")]
    private static partial void LogStatusWithoutDetail(ILogger logger, string provider, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing the provider heartbeat failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);
}
