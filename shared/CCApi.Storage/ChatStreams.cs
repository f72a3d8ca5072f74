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
    /// Records who owns the job's stream and how its chunks are rendered, before the command goes out, so a client can
    /// resume it later (<c>GET /v1/chat/completions/{id}/stream</c>); it expires with the stream (<see cref="RedisOptions.StreamTtl"/>).
    /// </summary>
    public Task BeginAsync(ChatStreamRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var key = RedisKeys.JobStreamRecord(record.JobId);
        var db = redis.GetDatabase();
        var tx = db.CreateTransaction();
        _ = tx.HashSetAsync(key,
        [
            new HashEntry("owner", record.OwnerId),
            new HashEntry("model", record.Model),
            new HashEntry("provider", record.Provider),
            new HashEntry("created", record.Created),
            new HashEntry("usage", record.IncludeUsage ? 1 : 0),
            new HashEntry("priced", record.Priced ? 1 : 0),
        ]);
        _ = tx.KeyExpireAsync(key, options.Value.StreamTtl);
        return tx.ExecuteAsync();
    }

    /// <summary>The stream's record, or null when there is none (never a stream, or expired).</summary>
    public async Task<ChatStreamRecord?> GetRecordAsync(Guid jobId)
    {
        var fields = await redis.GetDatabase().HashGetAsync(RedisKeys.JobStreamRecord(jobId), ["owner", "model", "provider", "created", "usage", "priced"]);
        if (fields[0].IsNull)
        {
            return null;
        }

        return new ChatStreamRecord(jobId, (string)fields[0]!, (string?)fields[1] ?? "", (string?)fields[2] ?? "", (long)fields[3], (int)fields[4] == 1,
            Priced: fields[5].IsNull || (int)fields[5] == 1);
    }

    /// <summary>The stream's last entry (null while it has none): a resume after it has nothing left to read.</summary>
    public async Task<(string Id, ChatStreamDelta Delta)?> LastAsync(Guid jobId)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(RedisKeys.JobStream(jobId), "-", "+", count: 1, messageOrder: Order.Descending);
        if (entries.Length == 0)
        {
            return null;
        }

        return ((string)entries[0].Id!, JsonSerializer.Deserialize<ChatStreamDelta>((string)entries[0][DataField]!, Json)!);
    }

    /// <summary>Parses a Redis stream entry id (<c>&lt;ms&gt;-&lt;seq&gt;</c>, or <c>&lt;ms&gt;</c> alone); false for anything else.</summary>
    public static bool TryParseEntryId(string? value, out (ulong Milliseconds, ulong Sequence) id)
    {
        id = default;
        if (string.IsNullOrEmpty(value) || value.Length > 41)
        {
            return false;
        }

        var dash = value.IndexOf('-', StringComparison.Ordinal);
        var ms = dash < 0 ? value : value[..dash];
        var seq = dash < 0 ? "0" : value[(dash + 1)..];
        if (!IsDigits(ms) || !IsDigits(seq)
            || !ulong.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            || !ulong.TryParse(seq, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
        {
            return false;
        }

        id = (m, s);
        return true;

        static bool IsDigits(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);
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

/// <summary>What a resumed chat stream needs besides its entries: the owner (another key gets 404) and how chunks render.</summary>
/// <summary>What a resume needs of a streaming chat; <c>Priced</c>: its model has a price, so usage shows <c>cost_usd</c> (else null).</summary>
public sealed record ChatStreamRecord(Guid JobId, string OwnerId, string Model, string Provider, long Created, bool IncludeUsage, bool Priced = true);
