using StackExchange.Redis;

namespace CCApi.Gateway.Credits;

/// <summary>
/// Finishes reservations whose expiry (the job's deadline + <see cref="CreditOptions.ReservationGrace"/>, or
/// <see cref="CreditOptions.AsyncJobHold"/>) has passed — what a gateway killed between reservation and settlement, a
/// settlement lost to a Redis failure, or a stream without usage leaves: a job whose record in JobStatus says completed is
/// settled with the usage recorded there (charged once, like any settlement), the rest are released, so no credits stay
/// stuck. Every <see cref="CreditOptions.SweepInterval"/> one replica (the one that takes the lock) walks every key; the
/// scripts are idempotent, so a second replica sweeping too would only repeat no-ops. While JobStatus cannot answer, a
/// key's expired reservations wait for the next sweep rather than being released uncharged.
/// </summary>
public sealed partial class ReservationSweeper(
    IConnectionMultiplexer redis, CreditSettlement settlement, IServiceProvider services, IOptions<CreditOptions> options, ILogger<ReservationSweeper> logger) : BackgroundService
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
                    await SweepOnceAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    /// <summary>Sweeps every key once; answers how many expired reservations were settled or released.</summary>
    public async Task<long> SweepOnceAsync(CancellationToken cancellationToken = default)
    {
        var db = redis.GetDatabase();
        var jobs = services.GetRequiredService<JobStatusClient>(); // a typed client: a fresh one per sweep, from the pooled handlers
        long finished = 0;
        for (long start = 0; ; start += Page)
        {
            var ids = await db.SortedSetRangeByRankAsync(RedisKeys.ApiKeysByCreation, start, start + Page - 1);
            foreach (var id in ids)
            {
                finished += await SweepKeyAsync(jobs, (string)id!, cancellationToken);
            }

            if (ids.Length < Page)
            {
                break;
            }
        }

        if (finished > 0)
        {
            LogFinished(logger, finished);
        }

        return finished;
    }

    private async Task<long> SweepKeyAsync(JobStatusClient jobs, string keyId, CancellationToken cancellationToken)
    {
        var expired = await settlement.ExpiredReservationsAsync(keyId);
        if (expired.Count == 0)
        {
            return 0; // nothing to settle or release: no script call
        }

        long settled = 0;
        foreach (var jobId in expired.Select(field => Guid.TryParseExact(field, "N", out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty))
        {
            JobViewBody? job;
            try
            {
                job = await jobs.GetAsync(jobId, cancellationToken);
            }
            catch (ApiException)
            {
                LogJobStatusUnavailable(logger, keyId);
                return settled; // the rest waits for the next sweep: released now, a completed job would go uncharged
            }

            if (job is { State: "completed", Usage: { } usage } && CreditSettlement.KindOf(job.Kind) is { } kind)
            {
                var route = new JobRoute { OwnerId = keyId, Provider = job.Provider ?? "", Model = job.Model ?? "", ProviderModel = job.Model ?? "" };
                var (outcome, _) = await settlement.SettleAsync(keyId, jobId, route, kind, usage, priced: usage.Cost > 0);
                settled += outcome == SettleOutcome.Settled ? 1 : 0;
            }
        }

        return settled + await settlement.SweepAsync(keyId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Settled or released {Count} expired credit reservations")]
    private static partial void LogFinished(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping expired credit reservations failed; the next sweep retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "JobStatus did not answer; key {KeyId}'s expired reservations wait for the next sweep")]
    private static partial void LogJobStatusUnavailable(ILogger logger, string keyId);
}
