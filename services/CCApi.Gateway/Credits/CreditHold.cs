using CCApi.Contracts;
using StackExchange.Redis;

namespace CCApi.Gateway.Credits;

/// <summary>
/// One request's credit reservation (keys with credits only), owned by the request: settled with the job's priced usage
/// as soon as the gateway has it, handed off to the terminal event for asynchronous jobs, and otherwise released when the
/// request ends (registered for disposal with the response, so errors, timeouts, client disconnects and failovers all
/// release it). Settlement in Redis is exactly once per job id whoever calls it; this object only avoids needless calls.
/// A Redis failure here is logged: the terminal event (<see cref="Consumers.CreditSettlementConsumer"/>) or the expiry
/// sweep (<see cref="ReservationSweeper"/>) then finishes the job.
/// </summary>
public sealed partial class CreditHold(CreditSettlement settlement, string keyId, Guid jobId, ILogger logger) : IAsyncDisposable
{
    private int _done;

    public Guid JobId => jobId;

    public async Task SettleAsync(JobRoute route, JobKind kind, Usage usage)
    {
        if (Interlocked.Exchange(ref _done, 1) == 1)
        {
            return;
        }

        try
        {
            await settlement.SettleAsync(keyId, jobId, route, kind, usage);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSettleFailed(logger, jobId, ex);
        }
    }

    /// <summary>The job goes on after the response (async images, a stream without usage): its terminal event settles it.</summary>
    public void HandOff() => Interlocked.Exchange(ref _done, 1);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1)
        {
            return;
        }

        try
        {
            await settlement.ReleaseAsync(keyId, jobId);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSettleFailed(logger, jobId, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: settling its credit reservation failed; its terminal event or expiry settles it")]
    private static partial void LogSettleFailed(ILogger logger, Guid jobId, Exception exception);
}

public static class CreditHoldExtensions
{
    /// <summary>The request's credit reservation, when its key has credits and the request was admitted.</summary>
    public static CreditHold? CreditHold(this HttpContext? context) => context?.Features.Get<CreditHold>();
}
