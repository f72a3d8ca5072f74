using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Lease = System.Threading.RateLimiting.RateLimitLease;

namespace CCApi.Gateway.Limits;

public sealed class LargePromptOptions
{
    public const string SectionName = "LargePrompts";

    /// <summary>
    /// A request whose text (messages, content parts, tool calls and tools) has at least this many characters is large:
    /// its tokens are counted (window check, credit reservation) only with a permit. Counting runs before the key's rate
    /// limits can refuse it (they are charged on the count), and text crafted to merge into long tokens costs about a
    /// second of a core per 8 MB; without permits, one key could keep every core busy with requests it would be refused.
    /// </summary>
    [Range(1_024, int.MaxValue, ErrorMessage = "LargePrompts:Characters must be at least 1024.")]
    public int Characters { get; set; } = 256 * 1024;

    /// <summary>Large requests one key may have counted at once on one replica.</summary>
    [Range(1, 1_000, ErrorMessage = "LargePrompts:PerKey must be between 1 and 1000.")]
    public int PerKey { get; set; } = 1;

    /// <summary>A key's large requests waiting for its permit; one more answers 429.</summary>
    [Range(0, 10_000, ErrorMessage = "LargePrompts:PerKeyQueue must be between 0 and 10000.")]
    public int PerKeyQueue { get; set; } = 8;

    /// <summary>Large requests counted at once on one replica, all keys together; 0 = half the processors (at least one).</summary>
    [Range(0, 1_000, ErrorMessage = "LargePrompts:Concurrent must be between 0 and 1000.")]
    public int Concurrent { get; set; }

    /// <summary>Large requests waiting for a permit on one replica, all keys together; one more answers 503.</summary>
    [Range(0, 100_000, ErrorMessage = "LargePrompts:Queue must be between 0 and 100000.")]
    public int Queue { get; set; } = 64;
}

/// <summary>Checks <see cref="LargePromptOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class LargePromptOptionsValidator : IValidateOptions<LargePromptOptions>;

/// <summary>
/// Bounds the CPU that large prompts take before admission (<see cref="LargePromptOptions"/>): one permit per key at a
/// time, a few per replica, the others waiting in line (oldest first) or, past the queues, refused — 429 when it is the
/// key's own line that is full, 503 when the replica's is. Requests below the size take no permit and never wait.
/// Built on System.Threading.RateLimiting's concurrency limiters, one partition per key (idle ones are dropped by the
/// limiter itself).
/// </summary>
public sealed class LargePromptGate : IAsyncDisposable
{
    private readonly LargePromptOptions _options;
    private readonly PartitionedRateLimiter<string> _perKey;
    private readonly ConcurrencyLimiter _replica;

    public LargePromptGate(IOptions<LargePromptOptions> options)
    {
        _options = options.Value;
        var perKey = new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.PerKey, QueueLimit = _options.PerKeyQueue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        };
        _perKey = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => perKey));
        _replica = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.Concurrent > 0 ? _options.Concurrent : Math.Max(1, Environment.ProcessorCount / 2),
            QueueLimit = _options.Queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>
    /// A permit for counting <paramref name="characters"/> of <paramref name="keyId"/>'s request, or null when the request
    /// is not large. Waits in line; 429 or 503 when the line is full. Dispose the permit once the counting is done.
    /// </summary>
    public async ValueTask<IDisposable?> EnterAsync(string keyId, long characters, CancellationToken cancellationToken)
    {
        if (characters < _options.Characters)
        {
            return null;
        }

        var key = await _perKey.AcquireAsync(keyId, 1, cancellationToken);
        if (!key.IsAcquired)
        {
            key.Dispose();
            throw Busy(429, ErrorTypes.RateLimit, ErrorCodes.RateLimitExceeded,
                $"This API key already has {_options.PerKey + _options.PerKeyQueue} requests of {_options.Characters} characters or more being read; send them one after another.",
                "large_prompts");
        }

        Lease replica;
        try
        {
            replica = await _replica.AcquireAsync(1, cancellationToken);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        if (!replica.IsAcquired)
        {
            replica.Dispose();
            key.Dispose();
            throw Busy(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable,
                "The gateway has too many large requests in line; retry shortly.", null);
        }

        return new Permit(key, replica);
    }

    private static ApiException Busy(int status, string type, string code, string message, string? limit)
    {
        var details = new Dictionary<string, string> { ["retry_after"] = "1" };
        if (limit is not null)
        {
            details["limit"] = limit;
        }

        return new ApiException(status, type, code, message, details);
    }

    public async ValueTask DisposeAsync()
    {
        await _perKey.DisposeAsync();
        await _replica.DisposeAsync();
    }

    private sealed class Permit(Lease key, Lease replica) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                replica.Dispose();
                key.Dispose();
            }
        }
    }
}
