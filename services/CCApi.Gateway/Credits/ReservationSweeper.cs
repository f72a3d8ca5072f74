using CCApi.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Gateway.Credits;

/// <summary>
/// Releases reservations whose expiry (the job's deadline + <see cref="CreditOptions.ReservationGrace"/>, or
/// <see cref="CreditOptions.AsyncJobHold"/>) has passed, so a gateway killed between reservation and settlement leaves no
/// credits stuck. Every <see cref="CreditOptions.SweepInterval"/> one replica (the one that takes the lock) walks every key;
/// the per-key script is idempotent, so a second replica sweeping too would only repeat no-ops.
/// </summary>
public sealed partial class ReservationSweeper(
    IConnectionMultiplexer redis, CreditSettlement settlement, IOptions<CreditOptions> options, ILogger<ReservationSweeper> logger) : BackgroundService
{
    private const int Page = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SweepInterval;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await redis.GetDatabase().StringSetAsync(RedisKeys.CreditSweepLock, Environment.MachineName, interval * 0.9, When.NotExists))
                {
                    await SweepOnceAsync();
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    /// <summary>Sweeps every key once; answers how many reservations were released.</summary>
    public async Task<long> SweepOnceAsync()
    {
        var db = redis.GetDatabase();
        long released = 0;
        for (long start = 0; ; start += Page)
        {
            var ids = await db.SortedSetRangeByRankAsync(RedisKeys.ApiKeysByCreation, start, start + Page - 1);
            var counts = await Task.WhenAll(ids.Select(id => settlement.SweepAsync((string)id!)));
            released += counts.Sum();
            if (ids.Length < Page)
            {
                break;
            }
        }

        if (released > 0)
        {
            LogReleased(logger, released);
        }

        return released;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Count} expired credit reservations")]
    private static partial void LogReleased(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping expired credit reservations failed; the next sweep retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
