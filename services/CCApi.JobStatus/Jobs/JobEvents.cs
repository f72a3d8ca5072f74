using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using CCApi.Contracts;
using CCApi.Storage;
using StackExchange.Redis;

namespace CCApi.JobStatus.Jobs;

/// <summary>One item of a job's status stream: a view with its stream entry id, or (both null) a heartbeat tick.</summary>
public readonly record struct JobEvent(string? Id, JobView? View)
{
    public bool IsHeartbeat => View is null;
}

/// <summary>
/// Reads a job's status events (<see cref="RedisKeys.JobEvents"/>, appended by <see cref="JobStore.Script"/> with every
/// state or progress change): from Redis, not process memory, so any replica serves any job and a restart loses
/// nothing. Subscribes to the job's notification channel before reading and reads with XRANGE from the last id seen —
/// no blocking command on the shared multiplexer — with a periodic re-read in case a notification is missed.
/// </summary>
public sealed partial class JobEvents(IConnectionMultiplexer redis)
{
    /// <summary>How long the reader waits without news before it reads the stream anyway (a missed notification).</summary>
    public static readonly TimeSpan PollFallback = TimeSpan.FromSeconds(1);

    /// <summary>The id a record without any stream entry (written before streams existed) is served under.</summary>
    public const string SnapshotId = "0-0";

    /// <summary>
    /// A Redis stream entry id, "&lt;ms&gt;-&lt;seq&gt;", that Redis can read after (<see cref="ChatStreams.IsResumePoint"/>):
    /// the only Last-Event-ID a status stream accepts.
    /// </summary>
    public static bool IsEventId(string? value) =>
        value is { Length: > 0 and <= 41 } && EventIdPattern().IsMatch(value) && ChatStreams.IsResumePoint(value);

    /// <summary>
    /// The job's latest event: its stream's last entry, or — for a record without a stream (a job that arrived finished,
    /// or one written before streams existed) — the record itself under <see cref="SnapshotId"/>. Null for no job.
    /// </summary>
    private static async Task<JobEvent?> LatestAsync(IDatabase db, Guid jobId, RedisKey key)
    {
        var latest = await db.StreamRangeAsync(key, "-", "+", count: 1, messageOrder: Order.Descending);
        if (latest.Length > 0)
        {
            return new JobEvent(latest[0].Id!, ToView(jobId, latest[0]));
        }

        var all = await db.HashGetAllAsync(RedisKeys.Job(jobId));
        return all.Length == 0 ? null : new JobEvent(SnapshotId, JobStore.Read(jobId, all.ToDictionary(e => (string)e.Name!, e => (string?)e.Value)));
    }

    /// <summary>
    /// The job's events after <paramref name="afterId"/> — or, without one, from its latest event (the current view) —
    /// until the first terminal view, with a heartbeat item after every <paramref name="heartbeat"/> of silence.
    /// Ends at once when the job is unknown; when the job is terminal and nothing follows <paramref name="afterId"/> (the
    /// client had the last event, or named an id past it), with its terminal event again — checked at the start and
    /// after every wait that brought no entry, so an id past the end does not hold the stream open after the job ends.
    /// </summary>
    public async IAsyncEnumerable<JobEvent> ReadAsync(
        Guid jobId, string? afterId, TimeSpan heartbeat, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        var subscriber = redis.GetSubscriber();
        var channel = new RedisChannel(RedisKeys.JobEventsChannel(jobId), RedisChannel.PatternMode.Literal);
        Action<RedisChannel, RedisValue> handler = (_, _) => signal.Writer.TryWrite(true);
        await subscriber.SubscribeAsync(channel, handler);
        try
        {
            var db = redis.GetDatabase();
            var key = RedisKeys.JobEvents(jobId);

            // Read before the stream: if the job was final already and nothing follows afterId, the client has it all.
            var stateBefore = (string?)await db.HashGetAsync(RedisKeys.Job(jobId), JobFields.State);
            if (stateBefore is null)
            {
                yield break;
            }

            var last = afterId;
            if (last is null)
            {
                if (await LatestAsync(db, jobId, key) is not { } latest)
                {
                    yield break;
                }

                yield return latest;
                if (latest.View!.IsTerminal)
                {
                    yield break;
                }

                last = latest.Id!;
            }

            // The script writes the state and appends its entry at once: a terminal state means the terminal entry is there.
            var ended = JobStates.IsTerminal(stateBefore);
            var waited = false;
            var lastSent = Stopwatch.GetTimestamp(); // monotonic: a wall-clock step neither skips nor floods heartbeats
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // "(" makes the start exclusive (Redis 6.2+): no repeat of the entry the client already has.
                var entries = await db.StreamRangeAsync(key, "(" + last, "+", count: 128);
                foreach (var entry in entries)
                {
                    var view = ToView(jobId, entry);
                    last = entry.Id!;
                    yield return new JobEvent(last, view);
                    if (view.IsTerminal)
                    {
                        yield break;
                    }
                }

                if (entries.Length > 0)
                {
                    lastSent = Stopwatch.GetTimestamp();
                    waited = false;
                    continue; // there may be more than one page
                }

                if (waited && !ended)
                {
                    // A wait (a notification, the fallback poll) brought no entry after the client's id: if the job has
                    // ended meanwhile, its terminal entry lies before that id. The usual wake reads entries and skips this.
                    waited = false;
                    if (JobStates.IsTerminal((string?)await db.HashGetAsync(RedisKeys.Job(jobId), JobFields.State)))
                    {
                        ended = true;
                        continue; // read once more: entries appended since the range above still come in order
                    }
                }

                if (ended)
                {
                    // The client already had the last event (or an id past it): it gets the ending again, as a chat
                    // resume does, so an EventSource sees the terminal view and stops reconnecting.
                    if (await LatestAsync(db, jobId, key) is { View.IsTerminal: true } ending)
                    {
                        yield return ending;
                    }

                    yield break;
                }

                var quiet = Stopwatch.GetElapsedTime(lastSent);
                if (quiet >= heartbeat)
                {
                    yield return new JobEvent(null, null);
                    lastSent = Stopwatch.GetTimestamp();
                    continue;
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var left = heartbeat - quiet;
                wait.CancelAfter(left < PollFallback ? left : PollFallback);
                try
                {
                    await signal.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // fallback read, or time for a heartbeat
                }

                waited = true;
            }
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel, handler);
        }
    }

    private static JobView ToView(Guid jobId, StreamEntry entry) =>
        JobStore.Read(jobId, entry.Values.ToDictionary(v => (string)v.Name!, v => (string?)v.Value));

    [GeneratedRegex(@"^[0-9]{1,20}-[0-9]{1,20}$", RegexOptions.CultureInvariant)]
    private static partial Regex EventIdPattern();
}
