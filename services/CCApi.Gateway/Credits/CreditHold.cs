using StackExchange.Redis;

namespace CCApi.Gateway.Credits;

/// <summary>
/// One admitted request's account of its job, owned by the request (every key: keys with credits hold a reservation,
/// every key's usage goes to its ledger). Settled with the job's priced usage as soon as the gateway has it — without
/// waiting for Redis, with the request's rate-limit lease released in the same script call — handed off to the terminal
/// event for asynchronous jobs, and otherwise released when the request ends (registered for disposal with the response,
/// so errors, timeouts, client disconnects and failovers all release it). An asynchronous job under an <c>async_jobs</c>
/// limit holds a slot that the same settlement or release gives back. Settlement in Redis is exactly once per job id
/// whoever calls it; this object only avoids needless calls. A reservation a Redis failure leaves behind is settled by
/// <see cref="ReservationSweeper"/> from the job's record when it expires.
/// </summary>
public sealed partial class CreditHold(CreditSettlement settlement, string keyId, Guid jobId, bool reserved, bool asyncSlot, ILogger logger) : IAsyncDisposable
{
    private int _done;

    public Guid JobId => jobId;

    /// <summary>
    /// True when the job holds something on its key that only its settlement gives back — a credit reservation, or a slot
    /// under the key's <c>async_jobs</c> limit — so an asynchronous job's owner must be remembered for its events.
    /// </summary>
    public bool HeldUntilSettled => reserved || asyncSlot;

    /// <summary>Charges the job's priced usage and releases <paramref name="lease"/> with it (one script call, not awaited).</summary>
    public void Settle(JobRoute route, JobKind kind, Usage usage, RateLimitLease? lease)
    {
        if (Interlocked.Exchange(ref _done, 1) == 1)
        {
            return;
        }

        try
        {
            settlement.SettleWithoutWaiting(keyId, jobId, route, kind, usage, lease?.TakeRelease());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSettleFailed(logger, jobId, ex); // the lease, taken or not, expires with its lifetime
        }
    }

    /// <summary>The job goes on after the response (async images, a stream without usage): its terminal event or the sweeper settles it.</summary>
    public void HandOff() => Interlocked.Exchange(ref _done, 1);

    /// <summary>
    /// Moves the account to a new owner that outlives the request — a stream whose client left goes on to its end and is
    /// billed then — so the request's end no longer releases it. Null when it is already settled, handed off or released.
    /// </summary>
    public CreditHold? TakeOver() =>
        Interlocked.Exchange(ref _done, 1) == 1 ? null : new CreditHold(settlement, keyId, jobId, reserved, asyncSlot, logger);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1 || !HeldUntilSettled)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: settling its credit reservation failed; its terminal event or the sweeper settles it")]
    private static partial void LogSettleFailed(ILogger logger, Guid jobId, Exception exception);
}

public static class CreditHoldExtensions
{
    /// <summary>The request's account of its job, once the request was admitted.</summary>
    public static CreditHold? CreditHold(this HttpContext? context) => context?.Features.Get<CreditHold>();
}
