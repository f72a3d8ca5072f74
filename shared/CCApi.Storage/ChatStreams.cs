using System.Diagnostics;
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
/// the adapter appends and notifies in one round trip, and the notification carries the entries themselves, after the id
/// of the entry before them. A reader that has seen exactly that id takes them from the notification — no read on the
/// first-token path; any other (a notification missed, dropped or out of order, a resume with Last-Event-ID, a reader
/// that has just subscribed) reads with XRANGE from the last id it has seen — never a blocking command on the shared
/// multiplexer. The notification goes out on the job's own channel (<see cref="RedisKeys.JobStreamChannel"/>, which a
/// resuming reader subscribes to) and, when the command named one, on the channel of the gateway process that started
/// the stream (<see cref="SynchronousReplies.StreamNoticePrefix"/>): that process routes it to the stream's reader, which
/// therefore needs no subscription of its own and no first read (<see cref="ReadNewAsync"/>).
/// </summary>
public sealed class ChatStreams(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    // XADD each entry + PEXPIRE + the notification's PUBLISH (one or two), atomic, one round trip. KEYS[1] stream, KEYS[2]
    // the job's channel (same hash tag); ARGV[1] TTL (ms), ARGV[2] the starting gateway's channel ("" for none: a channel
    // is not a key, so it needs no hash tag), ARGV[3] the prefix of the notification there, ARGV[4..] the entries' JSON in
    // order. The notification is "<id before them, or empty>" then "<id>" and "<JSON>" per entry, one per line (the JSON
    // has no raw line break).
    private const string AppendScript = """
        local before = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        local note = { before[1] and before[1][1] or '' }
        local ids = {}
        for i = 4, #ARGV do
          local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', '100000', '*', 'd', ARGV[i])
          ids[#ids + 1] = id
          note[#note + 1] = id
          note[#note + 1] = ARGV[i]
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        local text = table.concat(note, '\n')
        redis.call('PUBLISH', KEYS[2], text)
        if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3] .. text) end
        return ids
        """;
    private const int EntriesFrom = 3; // ARGV index (0-based) of the first entry

    /// <summary>The one field of each stream entry: the JSON of a <see cref="ChatStreamDelta"/>.</summary>
    private const string DataField = "d";

    /// <summary>Entries read per XRANGE; a full page means there may be more.</summary>
    private const int Page = 256;

    /// <summary>Notifications a reader holds before it drops new ones (each dropped one is a gap it reads with XRANGE).</summary>
    private const int NotificationBacklog = 64;

    /// <summary>How long the reader waits without news before it checks the stream anyway (a missed notification).</summary>
    public static readonly TimeSpan PollFallback = TimeSpan.FromMilliseconds(500);

    /// <summary>Appends one entry; returns its id. <paramref name="gatewayChannel"/>: see the other overload.</summary>
    public async Task<string> AppendAsync(Guid jobId, ChatStreamDelta delta, string? gatewayChannel = null) =>
        (await AppendAsync(jobId, [delta], gatewayChannel))[0];

    /// <summary>
    /// Appends entries in order in one round trip, with one notification for all of them (a consumer batches what its
    /// upstream delivered at once); returns their ids. <paramref name="gatewayChannel"/> is the command's
    /// <see cref="SynchronousReplies.ChannelHeader"/>: the notification goes there too (ignored unless it is one of the
    /// platform's channels, <see cref="SynchronousReplies.IsChannelName"/>).
    /// </summary>
    public async Task<string[]> AppendAsync(Guid jobId, IReadOnlyList<ChatStreamDelta> deltas, string? gatewayChannel = null)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        ArgumentOutOfRangeException.ThrowIfZero(deltas.Count);
        var notify = SynchronousReplies.IsChannelName(gatewayChannel);
        var args = new RedisValue[deltas.Count + EntriesFrom];
        args[0] = (long)options.Value.StreamTtl.TotalMilliseconds;
        args[1] = notify ? gatewayChannel : "";
        args[2] = notify ? SynchronousReplies.StreamNoticePrefix(jobId) : "";
        for (var i = 0; i < deltas.Count; i++)
        {
            args[i + EntriesFrom] = JsonSerializer.Serialize(deltas[i], Json);
        }

        var result = await redis.GetDatabase().ScriptEvaluateAsync(AppendScript,
            [RedisKeys.JobStream(jobId), RedisKeys.JobStreamChannel(jobId)], args);
        return (string[])result!;
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

    /// <summary>
    /// A client's resume point in a stream (a <c>Last-Event-ID</c>): an entry id (<see cref="TryParseEntryId"/>) that Redis
    /// can read after — not the last possible id, after which Redis refuses to read (nothing can follow it).
    /// </summary>
    public static bool IsResumePoint(string? value) =>
        TryParseEntryId(value, out var id) && id != (ulong.MaxValue, ulong.MaxValue);

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
    /// error. Subscribes to the job's channel before the first read so no append can slip between read and wait; then takes
    /// each notification that continues from the last id it has seen as it is, and reads the stream for any other that is
    /// not about entries it has already seen. Ends with <see cref="TimeoutException"/> when nothing arrives for
    /// <paramref name="idleTimeout"/>. An <paramref name="afterId"/> past the stream's last entry (nothing can follow it)
    /// ends with the stream's terminal entry once it has one, sent again, as a resume after a finished stream does.
    /// </summary>
    public IAsyncEnumerable<(string Id, ChatStreamDelta Delta)> ReadAsync(
        Guid jobId, string? afterId, TimeSpan idleTimeout, CancellationToken cancellationToken = default) =>
        ReadAsync(jobId, afterId, idleTimeout, routed: null, cancellationToken);

    /// <summary>
    /// A stream that has not started yet, read as <see cref="ReadAsync(Guid, string?, TimeSpan, CancellationToken)"/> reads
    /// one, by the gateway process that is about to send its command: that process routes the notifications published on
    /// its own channel for this job (<see cref="SynchronousReplies.StreamNoticePrefix"/>) into <paramref name="notices"/>
    /// (<see cref="CreateNotices"/>) from before the send, so every entry is announced there and the reader neither
    /// subscribes nor reads first — no Redis command on the way to the first token. When its fallback poll finds entries
    /// no notification brought (an adapter that does not notify the gateway's channel, e.g. an older version; notifications
    /// lost with the subscription connection), it subscribes to the job's own channel too, from then on.
    /// </summary>
    public IAsyncEnumerable<(string Id, ChatStreamDelta Delta)> ReadNewAsync(
        Guid jobId, Channel<RedisValue> notices, TimeSpan idleTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notices);
        return ReadAsync(jobId, null, idleTimeout, notices, cancellationToken);
    }

    /// <summary>
    /// Where a reader holds the notifications it has not taken yet: bounded (one that falls behind drops new ones, each a
    /// gap it reads with XRANGE); a null or unparsable message makes the reader read the stream.
    /// </summary>
    public static Channel<RedisValue> CreateNotices() =>
        // A notification is written on a thread-pool worker (StackExchange.Redis queues each message's handlers to the
        // pool), so the reader continues on it (AllowSynchronousContinuations) instead of being queued to yet another
        // worker — one wake-up and thread hop fewer on every chunk's way to the client (issue 10).
        Channel.CreateBounded<RedisValue>(new BoundedChannelOptions(NotificationBacklog)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
            AllowSynchronousContinuations = true,
        });

    private async IAsyncEnumerable<(string Id, ChatStreamDelta Delta)> ReadAsync(
        Guid jobId, string? afterId, TimeSpan idleTimeout, Channel<RedisValue>? routed, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var notes = routed ?? CreateNotices();
        var subscriber = redis.GetSubscriber();
        var channel = new RedisChannel(RedisKeys.JobStreamChannel(jobId), RedisChannel.PatternMode.Literal);
        Action<RedisChannel, RedisValue> handler = (_, message) => notes.Writer.TryWrite(message);
        var subscribed = false;
        if (routed is null)
        {
            await subscriber.SubscribeAsync(channel, handler);
            subscribed = true;
        }

        try
        {
            var db = redis.GetDatabase();
            var key = RedisKeys.JobStream(jobId);
            var last = afterId;
            var lastNews = Stopwatch.GetTimestamp(); // monotonic: a wall-clock step neither ends nor stretches the wait
            var read = routed is null; // routed: a stream not started yet, whose every entry will be announced
            var polled = false;
            var pastEnd = afterId is not null; // until an entry is read, the client's id may lie past the stream's end
            var checkEnd = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (read)
                {
                    // XRANGE from just after the last id seen ("(" makes the start exclusive, Redis 6.2+), a page at a time.
                    var entries = await db.StreamRangeAsync(key, last is null ? "-" : "(" + last, "+", count: Page);
                    var subscribing = polled && entries.Length > 0 && !subscribed;
                    if (subscribing)
                    {
                        // A poll found what no notification brought: from now on the job's own channel too.
                        await subscriber.SubscribeAsync(channel, handler);
                        subscribed = true;
                    }

                    polled = false;
                    foreach (var entry in entries)
                    {
                        var id = (string)entry.Id!;
                        var delta = Deserialize((string)entry[DataField]!);
                        last = id;
                        yield return (id, delta);
                        if (IsTerminal(delta))
                        {
                            yield break;
                        }
                    }

                    if (entries.Length > 0)
                    {
                        lastNews = Stopwatch.GetTimestamp();
                        pastEnd = false;
                    }
                    else if (pastEnd && checkEnd)
                    {
                        // Nothing after the client's id though time passed: if the stream has ended before that id (a
                        // resume point from the future), its ending is sent again, as for a resume after a finished stream.
                        checkEnd = false;
                        if (await LastAsync(jobId) is { } tail && IsTerminal(tail.Delta) && Compare(tail.Id, last) <= 0)
                        {
                            yield return tail;
                            yield break;
                        }
                    }

                    read = entries.Length == Page || subscribing; // a full page: there may be more; a new subscription: what came before it
                    if (read)
                    {
                        continue;
                    }
                }

                var remaining = idleTimeout - Stopwatch.GetElapsedTime(lastNews);
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"No stream data for {idleTimeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s.");
                }

                if (!notes.Reader.TryRead(out var message))
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    wait.CancelAfter(remaining < PollFallback ? remaining : PollFallback);
                    try
                    {
                        message = await notes.Reader.ReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        read = true; // fallback poll
                        polled = true;
                        checkEnd = pastEnd;
                        continue;
                    }
                }

                var note = Notification.Parse(message);
                if (note is null || !string.Equals(note.Value.Before, last ?? "", StringComparison.Ordinal))
                {
                    // Not the continuation of what was seen: a gap (read it), or entries already read (nothing to do) —
                    // unless nothing was read yet: then they may be the end of a stream the client's id lies past.
                    read = note is null || Compare(note.Value.LastId, last) > 0 || pastEnd;
                    checkEnd = pastEnd;
                    continue;
                }

                lastNews = Stopwatch.GetTimestamp();
                pastEnd = false;
                foreach (var (id, data) in note.Value.Entries)
                {
                    var delta = Deserialize(data);
                    last = id;
                    yield return (id, delta);
                    if (IsTerminal(delta))
                    {
                        yield break;
                    }
                }
            }
        }
        finally
        {
            if (subscribed)
            {
                await subscriber.UnsubscribeAsync(channel, handler);
            }
        }
    }

    private static ChatStreamDelta Deserialize(string json) => JsonSerializer.Deserialize<ChatStreamDelta>(json, Json)!;

    private static bool IsTerminal(ChatStreamDelta delta) => delta.Done || delta.Error is not null;

    /// <summary>Orders two entry ids; null (nothing seen yet) comes before every id, an unparsable one after.</summary>
    private static int Compare(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        return TryParseEntryId(a, out var x) && TryParseEntryId(b, out var y) ? x.CompareTo(y) : 1;
    }

    /// <summary>One notification of <see cref="AppendScript"/>: the id before its entries ("" for none), and the entries.</summary>
    private readonly record struct Notification(string Before, List<(string Id, string Data)> Entries)
    {
        public string LastId => Entries[^1].Id;

        /// <summary>Null for anything else (e.g. a bare id, as an older adapter published): the reader reads the stream.</summary>
        public static Notification? Parse(RedisValue message)
        {
            var lines = ((string?)message ?? "").Split('\n');
            if (lines.Length < 3 || lines.Length % 2 == 0)
            {
                return null;
            }

            var entries = new List<(string Id, string Data)>(lines.Length / 2);
            for (var i = 1; i < lines.Length; i += 2)
            {
                if (!TryParseEntryId(lines[i], out _))
                {
                    return null;
                }

                entries.Add((lines[i], lines[i + 1]));
            }

            return new Notification(lines[0], entries);
        }
    }
}

/// <summary>
/// What a resumed chat stream needs besides its entries: the owner (another key gets 404) and how chunks render;
/// <c>Priced</c>: its model has a price, so usage shows <c>cost_usd</c> (else null).
/// </summary>
public sealed record ChatStreamRecord(Guid JobId, string OwnerId, string Model, string Provider, long Created, bool IncludeUsage, bool Priced = true);
