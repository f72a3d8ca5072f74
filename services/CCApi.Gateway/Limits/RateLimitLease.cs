namespace CCApi.Gateway.Limits;

/// <summary>
/// One admitted request's hold on its key's limits: released exactly once when the HTTP request ends (registered for
/// disposal with the response, so normal ends, errors, client disconnects and streams all release it), correcting the
/// TPM charge from the estimate to the actual token count when the response reported one.
/// </summary>
public sealed class RateLimitLease(KeyRateLimiter limiter, string keyId, string? leaseId, long tpm, long chargedTokens) : IAsyncDisposable
{
    private long _actualTokens = -1;
    private int _released;

    /// <summary>The request's actual token count (prompt + completion), once the provider reported it.</summary>
    public void ReportTokens(long totalTokens) => Interlocked.Exchange(ref _actualTokens, Math.Max(0, totalTokens));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return;
        }

        var actual = Interlocked.Read(ref _actualTokens);
        var correction = tpm > 0 && actual >= 0 ? actual - chargedTokens : 0;
        if (leaseId is null && correction == 0)
        {
            return;
        }

        await limiter.ReleaseAsync(keyId, leaseId, tpm, correction);
    }
}

public static class RateLimitLeaseExtensions
{
    /// <summary>The request's rate-limit lease, when its key has limits and the request was admitted.</summary>
    public static RateLimitLease? RateLimitLease(this HttpContext? context) => context?.Features.Get<RateLimitLease>();
}
