using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Dispatch;

public sealed class StreamLimitOptions
{
    public const string SectionName = "Streams";

    /// <summary>
    /// Streaming chats one API key may hold open at once on one gateway replica (each holds a connection, a Redis stream
    /// reader and an adapter slot); one more answers 429 before the command is sent. A key's own <c>limits.concurrency</c>
    /// applies on top, across replicas.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "Streams:MaxConcurrentPerKey must be between 1 and 100000.")]
    public int MaxConcurrentPerKey { get; set; } = 64;
}

/// <summary>Checks <see cref="StreamLimitOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class StreamLimitOptionsValidator : IValidateOptions<StreamLimitOptions>;

/// <summary>Counts the open streams of each key on this replica; a slot is held until its request ends.</summary>
public sealed class StreamSlots(IOptions<StreamLimitOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public int Open(string keyId) => _open.GetValueOrDefault(keyId);

    /// <summary>A slot for <paramref name="keyId"/>, released when disposed; 429 when the key holds its maximum.</summary>
    public IDisposable Acquire(string keyId)
    {
        var max = options.Value.MaxConcurrentPerKey;
        while (true)
        {
            var current = _open.GetOrAdd(keyId, 0);
            if (current >= max)
            {
                throw new ApiException(429, ErrorTypes.RateLimit, ErrorCodes.RateLimitExceeded,
                    $"This API key already has {max} streaming responses open; close one or retry shortly.",
                    new Dictionary<string, string>
                    {
                        ["limit"] = "concurrent_streams",
                        ["max"] = max.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["retry_after"] = "1",
                    });
            }

            if (_open.TryUpdate(keyId, current + 1, current))
            {
                return new Slot(this, keyId);
            }
        }
    }

    private void Release(string keyId)
    {
        while (true)
        {
            var current = _open.GetValueOrDefault(keyId);
            if (current <= 1)
            {
                if (_open.TryRemove(new KeyValuePair<string, int>(keyId, current)) || current <= 0)
                {
                    return;
                }

                continue;
            }

            if (_open.TryUpdate(keyId, current - 1, current))
            {
                return;
            }
        }
    }

    private sealed class Slot(StreamSlots owner, string keyId) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Release(keyId);
            }
        }
    }
}
