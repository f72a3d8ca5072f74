using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;

namespace CCApi.Gateway.Limits;

public sealed class LargePromptOptions
{
    public const string SectionName = "LargePrompts";

    /// <summary>
    /// A chat whose body has at least this many bytes (its Content-Length) or whose text (messages, content parts, tool
    /// calls and tools) this many characters is large: it is read, parsed and counted (window check, TPM estimate,
    /// credit reservation) only with permits. All of that runs before the key's rate limits can refuse it (they are
    /// charged on the count), and text crafted to merge into long tokens costs about a second of a core per 8 MB; without
    /// permits, one key could keep every core busy with requests it would be refused.
    /// </summary>
    [Range(1_024, int.MaxValue, ErrorMessage = "LargePrompts:Characters must be at least 1024.")]
    public int Characters { get; set; } = 256 * 1024;

    /// <summary>Large requests one key may have read and counted at once on one replica.</summary>
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
/// Endpoint metadata of the routes whose body is a prompt <see cref="LargePromptGate"/> bounds (chat completions): a filter
/// that reads the body before the handler takes the key's permit first.
/// </summary>
public sealed class LargePromptRoute
{
    public static readonly LargePromptRoute Instance = new();

    private LargePromptRoute()
    {
    }
}

/// <summary>
/// Bounds the CPU that large chats take before admission (<see cref="LargePromptOptions"/>): reading, parsing and
/// counting a large request needs its key's permit (one at a time per key), and its counting a replica permit too (a few
/// at a time, all keys together). A body declared large (Content-Length) takes the key's permit before it is read; one
/// found large only once read (chunked) takes it before the counting. Others wait in line, oldest first; past the lines
/// a request is refused: 429 when it is the key's own line that is full, 503 when the replica's is. Requests below the
/// size take no permit and never wait. The replica permit is never held while a body is read, so slow uploads cannot
/// hold it. Built on System.Threading.RateLimiting's concurrency limiters, one partition per key (idle ones are dropped
/// by the limiter itself).
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

    /// <summary>Before reading the body: a body declared at least the size takes its key's permit (429 past the key's line).</summary>
    public async ValueTask EnterBeforeReadingAsync(HttpContext http, long? contentLength, CancellationToken cancellationToken)
    {
        if (contentLength >= _options.Characters && http.Features.Get<Permit>() is null)
        {
            Hold(http, await EnterKeyAsync(http.GetCaller().KeyId, cancellationToken));
        }
    }

    /// <summary>
    /// Before a filter reads the body ahead of the handler (<see cref="Idempotency.IdempotencyEndpointFilter"/> buffers and
    /// hashes it): on a route marked <see cref="LargePromptRoute"/>, as <see cref="EnterBeforeReadingAsync(HttpContext, long?, CancellationToken)"/>;
    /// elsewhere nothing. The handler's own call then finds the permit already held.
    /// </summary>
    public ValueTask EnterBeforeReadingAsync(HttpContext http, CancellationToken cancellationToken) =>
        http.GetEndpoint()?.Metadata.GetMetadata<LargePromptRoute>() is null
            ? ValueTask.CompletedTask
            : EnterBeforeReadingAsync(http, http.Request.ContentLength, cancellationToken);

    /// <summary>
    /// Before counting <paramref name="characters"/> of text: a large request (by its body or its text) holds its key's
    /// permit and a replica permit once this returns (503 past the replica's line).
    /// </summary>
    public async ValueTask EnterBeforeCountingAsync(HttpContext http, long characters, CancellationToken cancellationToken)
    {
        var permit = http.Features.Get<Permit>();
        if (permit is null)
        {
            if (characters < _options.Characters)
            {
                return;
            }

            permit = Hold(http, await EnterKeyAsync(http.GetCaller().KeyId, cancellationToken));
        }

        if (!permit.HoldsReplica)
        {
            try
            {
                permit.Add(await EnterReplicaAsync(cancellationToken));
            }
            catch
            {
                permit.Dispose(); // the key's permit goes back with the refusal
                throw;
            }
        }
    }

    /// <summary>The counting is done (the request was admitted): the permits go back before the dispatch.</summary>
    public static void Release(HttpContext http) => http.Features.Get<Permit>()?.Dispose();

    /// <summary>One of the key's permits (waits in its line; 429 when the line is full).</summary>
    public async ValueTask<IDisposable> EnterKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        var lease = await _perKey.AcquireAsync(keyId, 1, cancellationToken);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Busy(429, ErrorTypes.RateLimit, ErrorCodes.RateLimitExceeded,
                $"This API key already has {_options.PerKey + _options.PerKeyQueue} requests of {_options.Characters} characters or more being read; send them one after another.",
                "large_prompts");
        }

        return lease;
    }

    /// <summary>One of the replica's permits (waits in its line; 503 when the line is full).</summary>
    public async ValueTask<IDisposable> EnterReplicaAsync(CancellationToken cancellationToken)
    {
        var lease = await _replica.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Busy(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "The gateway has too many large requests in line; retry shortly.", null);
        }

        return lease;
    }

    private static Permit Hold(HttpContext http, IDisposable key)
    {
        var permit = new Permit(key);
        http.Features.Set(permit);
        http.Response.RegisterForDispose(permit); // at the latest when the request ends
        return permit;
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

    /// <summary>A request's permits: its key's, then the replica's; released once, together.</summary>
    private sealed class Permit(IDisposable key) : IDisposable
    {
        private IDisposable? _replica;
        private int _released;

        public bool HoldsReplica => _replica is not null;

        public void Add(IDisposable replica) => _replica = replica;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _replica?.Dispose();
                key.Dispose();
            }
        }
    }
}
