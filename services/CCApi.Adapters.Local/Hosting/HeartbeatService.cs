using CCApi.Adapters.Local.Audio;
using CCApi.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Hosting;

/// <summary>
/// Tells the catalog this provider is alive: a <see cref="ProviderHeartbeat"/> at start and then every
/// <see cref="LocalAdapterOptions.HeartbeatInterval"/>. "available" when espeak-ng is present; "degraded" (chat and
/// images still work) when it is not.
/// </summary>
public sealed partial class HeartbeatService(IBus bus, IOptions<LocalAdapterOptions> options, ILogger<HeartbeatService> logger) : BackgroundService
{
    public static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        do
        {
            try
            {
                await bus.Publish(Heartbeat(options.Value), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogHeartbeatFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public static ProviderHeartbeat Heartbeat(LocalAdapterOptions options)
    {
        var espeak = ExternalTool.Exists(options.EspeakPath);
        return new ProviderHeartbeat
        {
            Provider = options.Provider,
            Timestamp = DateTimeOffset.UtcNow,
            Status = espeak ? "available" : "degraded",
            Detail = espeak ? null : "espeak-ng is not installed: speech synthesis is unavailable.",
            Instance = Instance,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing the provider heartbeat failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);
}
