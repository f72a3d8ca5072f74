using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CCApi.Messaging;

/// <summary>
/// Holds the host's start until the bus is connected, for at most <see cref="MessagingOptions.StartupWait"/>: so the
/// first request never races the bus, and a broker that is down never keeps the process from starting (it starts not
/// ready and becomes ready by itself when the bus connects).
/// </summary>
internal sealed partial class BusStartupGate(IBusControl bus, IOptions<MessagingOptions> options, ILogger<BusStartupGate> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var wait = options.Value.StartupWait;
        if (await bus.WaitForHealthStatus(BusHealthStatus.Healthy, wait).WaitAsync(cancellationToken) != BusHealthStatus.Healthy)
        {
            LogStartingWithoutBus(logger, wait.TotalSeconds);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The bus did not connect within {Seconds} s; starting not ready, the bus keeps connecting")]
    private static partial void LogStartingWithoutBus(ILogger logger, double seconds);
}
