using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using CCApi.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Storage;

/// <summary>
/// Streaming chat chunks travel adapter → edge through one Redis Stream per job (never through the bus or JobStatus):
/// the adapter appends and notifies in one round trip; the edge subscribes to the notification channel and reads with
/// XRANGE from the last id it has seen — no blocking command on the shared multiplexer — which also lets a client
/// resume with Last-Event-ID.
/// </summary>
public sealed class ChatStreams(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    // XADD + PEXPIRE + PUBLISH as one atomic round trip. KEYS[1] stream, KEYS[2] channel (same hash tag).
    private const string AppendScript = """
        local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', '100000', '*', 'd', ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        redis.call('PUBLISH', KEYS[2], id)
        return id
        """;

    /// <summary>The one field of each stream entry: the JSON of a <see cref="ChatStreamDelta"/>.</summary>
    private const string DataField = "d";

    /// <summary>How long the reader waits without news before it checks the stream anyway (a missed notification).</summary>
    public static readonly TimeSpan PollFallback = TimeSpan.FromMilliseconds(500);

    public async Task<string> AppendAsync(Guid jobId, ChatStreamDelta delta)
    {
        var payload = JsonSerializer.Serialize(delta, Json);
        var ttl = (long)options.Value.StreamTtl.TotalMilliseconds;
        var result = await redis.GetDatabase().ScriptEvaluateAsync(AppendScript,
            [RedisKeys.JobStream(jobId), RedisKeys.JobStreamChannel(jobId)],
            [payload, ttl]);
        return (string)result!;
    }

    /// <summary>
    /// Entries after <paramref name="afterId"/> (or from the start), in order, until one is <c>Done</c> or carries an
    /// error. Subscribes before the first read so no append can slip between read and wait. Ends with
    /// <see cref="TimeoutException"/> when nothing arrives for <paramref name="idleTimeout"/>.
    /// </summary>
    public async IAsyncEnumerable<(string Id, ChatStreamDelta Delta)> ReadAsync(
        Guid jobId, string? afterId, TimeSpan idleTimeout, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var subscriber = redis.GetSubscriber();
        var channel = new RedisChannel(RedisKeys.JobStreamChannel(jobId), RedisChannel.PatternMode.Literal);
        Action<RedisChannel, RedisValue> handler = (_, _) => signal.Writer.TryWrite(true);
        await subscriber.SubscribeAsync(channel, handler);
        try
        {
            var db = redis.GetDatabase();
            var key = RedisKeys.JobStream(jobId);
            var last = afterId;
            var lastNews = DateTime.UtcNow;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // XRANGE from just after the last id seen ("(" makes the start exclusive, Redis 6.2+), a page at a time.
                var entries = await db.StreamRangeAsync(key, last is null ? "-" : "(" + last, "+", count: 256);
                foreach (var entry in entries)
                {
                    var id = (string)entry.Id!;
                    var delta = JsonSerializer.Deserialize<ChatStreamDelta>((string)entry[DataField]!, Json)!;
                    last = id;
                    yield return (id, delta);
                    if (delta.Done || delta.Error is not null)
                    {
                        yield break;
                    }
                }

                if (entries.Length > 0)
                {
                    lastNews = DateTime.UtcNow;
                    continue; // there may be more than one page
                }

                var remaining = idleTimeout - (DateTime.UtcNow - lastNews);
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"No stream data for {idleTimeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s.");
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(remaining < PollFallback ? remaining : PollFallback);
                try
                {
                    await signal.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // fallback poll
                }
            }
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel, handler);
        }
    }
}
