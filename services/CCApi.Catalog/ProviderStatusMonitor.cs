using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Catalog;

/// <summary>The timer half of provider status: heartbeats that stop coming make a provider "unavailable".</summary>
public sealed partial class ProviderStatusMonitor(
    CatalogState catalog, IBus bus, IOptions<CatalogOptions> options, TimeProvider time, ILogger<ProviderStatusMonitor> logger)
    : BackgroundService
{
    /// <summary>A fraction of the timeout, so a provider is marked at most ~20% late; bounded to stay cheap and prompt.</summary>
    public static TimeSpan CheckInterval(TimeSpan heartbeatTimeout) =>
        TimeSpan.FromMilliseconds(Math.Clamp(heartbeatTimeout.TotalMilliseconds / 5, 100, 5000));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval(options.Value.HeartbeatTimeout), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!catalog.ExpireStale())
            {
                continue;
            }

            var changed = catalog.ChangedEvent();
            LogStatusExpired(logger, changed.Version);
            try
            {
                await bus.Publish(changed, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Readers also refresh periodically; the next change is announced anyway.
                LogPublishFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider status expired for lack of heartbeats; catalog now {Version}")]
    private static partial void LogStatusExpired(ILogger logger, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish CatalogChanged")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception);
}
