namespace CCApi.Gateway.Limits;

/// <summary>What ending a request does to its key's limits: the concurrency slot to free and the TPM correction.</summary>
/// <param name="LeaseId">The concurrency lease ("" or null = none).</param>
/// <param name="Tpm">The key's TPM limit (0 = none).</param>
/// <param name="TokenCorrection">Actual − charged tokens (may be negative).</param>
public readonly record struct LeaseRelease(string? LeaseId, long Tpm, long TokenCorrection);

/// <summary>
/// One admitted request's hold on its key's limits: released exactly once when the request ends — folded into the
/// credit settlement's script when the job finishes with usage (<see cref="TakeRelease"/>), otherwise on its own when the
/// HTTP request ends (registered for disposal with the response, so errors, client disconnects and streams all release
/// it) — correcting the TPM charge from the estimate to the actual token count when the response reported one.
/// </summary>
public sealed class RateLimitLease(KeyRateLimiter limiter, string keyId, string? leaseId, long tpm, long chargedTokens) : IAsyncDisposable
{
    private long _actualTokens = -1;
    private int _released;

    /// <summary>The request's actual token count (prompt + completion), once the provider reported it.</summary>
    public void ReportTokens(long totalTokens) => Interlocked.Exchange(ref _actualTokens, Math.Max(0, totalTokens));

    /// <summary>
    /// Marks the lease released and answers what releasing it takes, for the caller to do in its own script; null when it
    /// was released already or there is nothing to do.
    /// </summary>
    public LeaseRelease? TakeRelease()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return null;
        }

        var actual = Interlocked.Read(ref _actualTokens);
        var correction = tpm > 0 && actual >= 0 ? actual - chargedTokens : 0;
        return leaseId is null && correction == 0 ? null : new LeaseRelease(leaseId, tpm, correction);
    }

    /// <summary>
    /// Moves the hold to a new owner that outlives the request — a stream whose client left runs on to its end, and keeps
    /// its concurrency slot until then — so the request's end no longer frees it. Null when it was already released.
    /// </summary>
    public RateLimitLease? TakeOver()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return null;
        }

        var owner = new RateLimitLease(limiter, keyId, leaseId, tpm, chargedTokens);
        Interlocked.Exchange(ref owner._actualTokens, Interlocked.Read(ref _actualTokens));
        return owner;
    }

    public async ValueTask DisposeAsync()
    {
        if (TakeRelease() is { } release)
        {
            await limiter.ReleaseAsync(keyId, release.LeaseId, release.Tpm, release.TokenCorrection);
        }
    }
}

public static class RateLimitLeaseExtensions
{
    /// <summary>The request's rate-limit lease, when its key has limits and the request was admitted.</summary>
    public static RateLimitLease? RateLimitLease(this HttpContext? context) => context?.Features.Get<RateLimitLease>();
}
