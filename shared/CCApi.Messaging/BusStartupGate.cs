using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CCApi.Messaging;

/// <summary>
/// Holds the host's start (its <c>ApplicationStarted</c>) until the bus is connected, for at most
/// <see cref="MessagingOptions.StartupWait"/>: a broker that is down never keeps the process from starting (it starts not
/// ready and becomes ready by itself when the bus connects). The hosted services start side by side, the HTTP server
/// among them, so the server may already listen meanwhile; <c>/health/ready</c>, not this gate, tells when the bus is there.
/// </summary>
internal sealed partial class BusStartupGate(IBusControl bus, IOptions<MessagingOptions> options, ILogger<BusStartupGate> logger)
    : IHostedService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var wait = options.Value.StartupWait;
        if (!await IsHealthyWithinAsync(bus, wait, cancellationToken))
        {
            LogStartingWithoutBus(logger, wait.TotalSeconds);
        }
    }

    /// <summary>
    /// Looks every 10 ms: the bus connects in ~100–300 ms, and MassTransit's own WaitForHealthStatus looks every 100 ms —
    /// up to 100 ms of every start spent not noticing a bus that is already there.
    /// </summary>
    internal static async Task<bool> IsHealthyWithinAsync(IBusControl bus, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (bus.CheckHealth().Status != BusHealthStatus.Healthy)
        {
            if (Environment.TickCount64 >= until)
            {
                return false;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        return true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The bus did not connect within {Seconds} s; starting not ready, the bus keeps connecting")]
    private static partial void LogStartingWithoutBus(ILogger logger, double seconds);
}
