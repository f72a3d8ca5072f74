using System.Globalization;
using CCApi.Gateway.Accounts;
using StackExchange.Redis;

namespace CCApi.Gateway.Limits;

/// <summary>What the admission script answered (durations in microseconds).</summary>
public sealed record RateLimitDecision(
    bool Admitted,
    string? Refused,
    long RetryAfter,
    long RemainingRequests,
    long ResetRequests,
    long RemainingTokens,
    long ResetTokens,
    long CreditsNanos = 0,
    long ReservedNanos = 0);

/// <summary>A credit reservation to take in the same step as the limits: nano-dollars held for a job until its settlement.</summary>
public readonly record struct Reservation(Guid JobId, long Nanos, DateTimeOffset Expires);

/// <summary>
/// An asynchronous job's slot under its key's <c>async_jobs</c> limit (<paramref name="Limit"/>), taken in the same step
/// as the limits: held from admission until the job settles, and lapsing after <paramref name="Lifetime"/> when nothing does.
/// </summary>
public readonly record struct AsyncJobSlot(Guid JobId, int Limit, TimeSpan Lifetime);

/// <summary>
/// A key's RPM, TPM, concurrency and unfinished async jobs in Redis, shared by every gateway replica: one script call
/// admits a request (every limit at once, see <see cref="RateLimitScripts"/>), one more after the response frees its
/// concurrency slot and corrects its token estimate; an async job's slot is freed by its settlement.
/// </summary>
public sealed partial class KeyRateLimiter(IConnectionMultiplexer redis, IOptions<RateLimitOptions> options, ILogger<KeyRateLimiter> logger)
{
    private readonly long _leaseMilliseconds = (long)options.Value.ConcurrencyLeaseTtl.TotalMilliseconds;

    /// <summary>Checks and (when admitted) charges the limits; throws 503 when Redis does not answer.</summary>
    /// <param name="limits">The per-request limits to charge (rpm, tpm, concurrency; <see cref="KeyLimits.AsyncJobs"/> is read from <paramref name="asyncSlot"/>).</param>
    public async Task<RateLimitDecision> TryAdmitAsync(
        string keyId, KeyLimits limits, long tokens, string? leaseId, Reservation? reservation = null, AsyncJobSlot? asyncSlot = null)
    {
        var values = reservation is not null || asyncSlot is not null
            ? await EvaluateAsync(RateLimitScripts.Admit,
                [RedisKeys.ApiKeyRateState(keyId), RedisKeys.ApiKeyInFlight(keyId), RedisKeys.ApiKey(keyId), RedisKeys.ApiKeyReservations(keyId),
                    RedisKeys.ApiKeyAsyncJobs(keyId)],
                [limits.Rpm ?? 0, limits.Tpm ?? 0, limits.Concurrency ?? 0, tokens, leaseId ?? "", _leaseMilliseconds,
                    reservation?.Nanos ?? -1, (reservation?.JobId ?? asyncSlot!.Value.JobId).ToString("N"), reservation?.Expires.ToUnixTimeMilliseconds() ?? 0,
                    asyncSlot?.Limit ?? 0, (long)(asyncSlot?.Lifetime.TotalMilliseconds ?? 0)])
            : await EvaluateAsync(RateLimitScripts.Admit, Keys(keyId),
                [limits.Rpm ?? 0, limits.Tpm ?? 0, limits.Concurrency ?? 0, tokens, leaseId ?? "", _leaseMilliseconds]);
        var refused = (string?)values[1];
        return new RateLimitDecision(
            Admitted: (long)values[0] == 1,
            Refused: string.IsNullOrEmpty(refused) ? null : refused,
            RetryAfter: (long)values[2],
            RemainingRequests: (long)values[3],
            ResetRequests: (long)values[4],
            RemainingTokens: (long)values[5],
            ResetTokens: (long)values[6],
            CreditsNanos: values.Length > 7 ? long.Parse((string)values[7]!, CultureInfo.InvariantCulture) : 0,
            ReservedNanos: values.Length > 8 ? long.Parse((string)values[8]!, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>The key's limits as they stand, charging nothing (GET /v1/key), its requests in flight and its unfinished async jobs.</summary>
    public async Task<(RateLimitDecision Status, long InFlight, long AsyncJobs)> PeekAsync(string keyId, KeyLimits limits)
    {
        var values = await EvaluateAsync(RateLimitScripts.Peek,
            [RedisKeys.ApiKeyRateState(keyId), RedisKeys.ApiKeyInFlight(keyId), RedisKeys.ApiKeyAsyncJobs(keyId)],
            [limits.Rpm ?? 0, limits.Tpm ?? 0, limits.Concurrency ?? 0, limits.AsyncJobs ?? 0]);
        var status = new RateLimitDecision(true, null, 0, (long)values[0], (long)values[1], (long)values[2], (long)values[3]);
        return (status, (long)values[4], (long)values[5]);
    }

    private async Task<RedisResult[]> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] arguments)
    {
        try
        {
            return (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(script, keys, arguments))!;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(logger, ex);
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable,
                "Rate limits cannot be checked right now; nothing was started. Retry shortly.");
        }
    }

    /// <summary>
    /// Frees <paramref name="leaseId"/>'s slot and moves the token bucket by <paramref name="tokenCorrection"/>. A failure
    /// is logged, not thrown: the slot then expires with its lease, and the correction is lost.
    /// </summary>
    public async Task ReleaseAsync(string keyId, string? leaseId, long tpm, long tokenCorrection)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(
                RateLimitScripts.Release,
                Keys(keyId),
                new RedisValue[] { leaseId ?? "", tpm, tokenCorrection });
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogReleaseFailed(logger, keyId, ex);
        }
    }

    private static RedisKey[] Keys(string keyId) => [RedisKeys.ApiKeyRateState(keyId), RedisKeys.ApiKeyInFlight(keyId)];

    /// <summary>The 429 for a refused request; <c>details.retry_after</c> becomes the <c>Retry-After</c> header.</summary>
    public static ApiException Refusal(RateLimitDecision decision, KeyLimits limits)
    {
        var retryAfter = RateLimitHeaders.RetryAfterSeconds(decision.RetryAfter);
        var message = decision.Refused switch
        {
            "requests" => $"Rate limit reached for requests per minute (limit {limits.Rpm}). Retry in {retryAfter} s.",
            "tokens" => $"Rate limit reached for tokens per minute (limit {limits.Tpm}). Retry in {retryAfter} s.",
            "async_jobs" => $"Too many unfinished asynchronous jobs for this API key (limit {limits.AsyncJobs}). Start another when one of them has completed, failed or been canceled.",
            _ => $"Too many requests in flight for this API key (limit {limits.Concurrency}). Retry when one of them has ended.",
        };
        return new ApiException(429, ErrorTypes.RateLimit, ErrorCodes.RateLimitExceeded, message, new Dictionary<string, string>
        {
            ["limit"] = decision.Refused ?? "concurrency",
            ["retry_after"] = retryAfter.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>The 402 for a reservation the key's balance cannot cover.</summary>
    public static ApiException InsufficientBalance(RateLimitDecision decision, long requiredNanos)
    {
        var available = Math.Max(0, decision.CreditsNanos - decision.ReservedNanos);
        var required = Money.ToUsd(requiredNanos);
        return new ApiException(402, ErrorTypes.Billing, GatewayErrorCodes.InsufficientBalance,
            $"This API key's balance cannot cover this request: it may cost up to ${required.ToString(CultureInfo.InvariantCulture)}, "
            + $"and ${Money.ToUsd(available).ToString(CultureInfo.InvariantCulture)} is available. Add credits to the key, or ask for less (max_tokens, n or a shorter input).",
            new Dictionary<string, string>
            {
                ["balance_usd"] = Money.ToUsd(decision.CreditsNanos).ToString(CultureInfo.InvariantCulture),
                ["reserved_usd"] = Money.ToUsd(decision.ReservedNanos).ToString(CultureInfo.InvariantCulture),
                ["required_usd"] = required.ToString(CultureInfo.InvariantCulture),
            });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limits could not be checked in Redis; the request is refused with 503")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate-limit release for key {KeyId} failed; its slot expires with its lease")]
    private static partial void LogReleaseFailed(ILogger logger, string keyId, Exception exception);
}
