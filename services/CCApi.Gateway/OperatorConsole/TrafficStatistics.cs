using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace CCApi.Gateway.OperatorConsole;

/// <summary>
/// The figures the operator console's Overview shows — model requests per minute, 4xx/5xx, latency and gateway overhead
/// percentiles — for every gateway replica together. Each replica counts its own requests in memory (per minute: counts
/// plus two log-scale histograms, a few Interlocked increments per request, no Redis on the request path) and
/// <see cref="TrafficStatisticsFlusher"/> adds what it counted to one Redis hash per minute every few seconds, so the
/// console reads all replicas at once, at most one flush interval behind. Percentiles come from the merged histograms:
/// the bucket bounds grow by 25 %, so a percentile is exact to within one bucket (±12.5 % around its midpoint).
/// </summary>
public sealed class TrafficStatistics(IConnectionMultiplexer redis, IOptions<ConsoleOptions> options, TimeProvider time)
{
    /// <summary>Histogram upper bounds in milliseconds: 1 ms × 1.25^i, up to about 10 minutes.</summary>
    public static readonly double[] BucketBounds = [.. Enumerable.Range(0, 60).Select(i => Math.Pow(1.25, i))];

    private readonly ConcurrentDictionary<long, MinuteCounters> _pending = new();

    /// <summary>A model request ended. <paramref name="latency"/> is null for requests answered before their job ended (202).</summary>
    public void Record(int status, TimeSpan? latency, TimeSpan? overhead)
    {
        var minute = time.GetUtcNow().ToUnixTimeSeconds() / 60;
        var counters = _pending.GetOrAdd(minute, static _ => new MinuteCounters());
        Interlocked.Increment(ref counters.Requests);
        if (status >= 500)
        {
            Interlocked.Increment(ref counters.ServerErrors);
        }
        else if (status >= 400)
        {
            Interlocked.Increment(ref counters.ClientErrors);
        }

        if (latency is { } l)
        {
            Interlocked.Increment(ref counters.Latency[Bucket(l.TotalMilliseconds)]);
        }

        if (overhead is { } o)
        {
            Interlocked.Increment(ref counters.Overhead[Bucket(o.TotalMilliseconds)]);
        }
    }

    /// <summary>
    /// Adds what this replica counted to Redis (one pipelined batch) and zeroes it. Each counter is read and reset in one
    /// atomic exchange, so a request counted during the flush lands in this flush or the next, never in neither; what a
    /// failed write took is added back. Minutes two minutes old are dropped once drained.
    /// </summary>
    /// <returns>False when a write failed (its counts were kept for the next flush).</returns>
    public async Task<bool> FlushAsync()
    {
        if (_pending.IsEmpty)
        {
            return true;
        }

        var current = time.GetUtcNow().ToUnixTimeSeconds() / 60;
        var db = redis.GetDatabase();
        var batch = db.CreateBatch();
        var writes = new List<(long Minute, MinuteCounters Drained, Task Done)>();
        var retention = options.Value.StatisticsRetention;
        foreach (var (minute, counters) in _pending)
        {
            var drained = counters.Drain();
            if (minute < current - 1)
            {
                _pending.TryRemove(minute, out _);
            }

            var fields = drained.Fields().ToList();
            if (fields.Count == 0)
            {
                continue;
            }

            var key = RedisKeys.TrafficMinute(minute);
            var tasks = fields.Select(f => (Task)batch.HashIncrementAsync(key, f.Field, f.Value)).ToList();
            tasks.Add(batch.KeyExpireAsync(key, retention));
            writes.Add((minute, drained, Task.WhenAll(tasks)));
        }

        batch.Execute();
        var succeeded = true;
        foreach (var (minute, drained, done) in writes)
        {
            try
            {
                await done;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                _pending.GetOrAdd(minute, static _ => new MinuteCounters()).AddAtomically(drained);
                succeeded = false;
            }
        }

        return succeeded;
    }

    /// <summary>The last <paramref name="minutes"/> whole minutes plus the current one, all replicas, oldest first.</summary>
    public async Task<TrafficSummary> ReadAsync(int minutes)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds() / 60;
        var first = now - minutes + 1;
        var db = redis.GetDatabase();
        var batch = db.CreateBatch();
        var reads = Enumerable.Range(0, minutes).Select(i => batch.HashGetAllAsync(RedisKeys.TrafficMinute(first + i))).ToList();
        batch.Execute();
        var series = new List<TrafficMinute>(minutes);
        var total = new MinuteCounters();
        for (var i = 0; i < minutes; i++)
        {
            var counters = MinuteCounters.FromHash(await reads[i]);
            if (_pending.TryGetValue(first + i, out var local))
            {
                counters.Add(local.Snapshot()); // not flushed yet: this replica's own latest requests
            }

            total.Add(counters);
            series.Add(new TrafficMinute(
                (first + i) * 60,
                counters.Requests,
                counters.ClientErrors,
                counters.ServerErrors,
                Percentile(counters.Latency, 0.50),
                Percentile(counters.Latency, 0.95)));
        }

        return new TrafficSummary(
            WindowMinutes: minutes,
            Requests: total.Requests,
            RequestsPerMinute: Math.Round(total.Requests / (double)minutes, 2),
            ClientErrors: total.ClientErrors,
            ServerErrors: total.ServerErrors,
            ErrorRate: total.Requests == 0 ? 0 : Math.Round(total.ServerErrors / (double)total.Requests, 4),
            LatencyP50Ms: Percentile(total.Latency, 0.50),
            LatencyP95Ms: Percentile(total.Latency, 0.95),
            OverheadP50Ms: Percentile(total.Overhead, 0.50),
            OverheadP95Ms: Percentile(total.Overhead, 0.95),
            Series: series);
    }

    /// <summary>The histogram bucket of a duration: the first whose upper bound is at least it.</summary>
    public static int Bucket(double milliseconds)
    {
        if (!(milliseconds > 1))
        {
            return 0;
        }

        var index = (int)Math.Ceiling(Math.Log(milliseconds) / Math.Log(1.25) - 1e-9);
        return Math.Clamp(index, 0, BucketBounds.Length - 1);
    }

    /// <summary>
    /// The duration under which a fraction <paramref name="quantile"/> of the recorded ones fall, as the geometric middle of
    /// its bucket; null without data.
    /// </summary>
    public static double? Percentile(long[] histogram, double quantile)
    {
        var count = histogram.Sum();
        if (count == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * count));
        long seen = 0;
        for (var i = 0; i < histogram.Length; i++)
        {
            seen += histogram[i];
            if (seen >= rank)
            {
                var upper = BucketBounds[i];
                var lower = i == 0 ? 0 : BucketBounds[i - 1];
                var middle = i == 0 ? upper / 2 : Math.Sqrt(lower * upper);
                return Math.Round(middle, 2);
            }
        }

        return Math.Round(BucketBounds[^1], 2);
    }

    /// <summary>One minute's counters, in memory (this replica) or read back from Redis (all replicas).</summary>
    internal sealed class MinuteCounters
    {
        public long Requests;
        public long ClientErrors;
        public long ServerErrors;
        public readonly long[] Latency = new long[BucketBounds.Length];
        public readonly long[] Overhead = new long[BucketBounds.Length];

        public IEnumerable<(string Field, long Value)> Fields()
        {
            if (Requests > 0)
            {
                yield return ("requests", Requests);
            }

            if (ClientErrors > 0)
            {
                yield return ("4xx", ClientErrors);
            }

            if (ServerErrors > 0)
            {
                yield return ("5xx", ServerErrors);
            }

            for (var i = 0; i < BucketBounds.Length; i++)
            {
                if (Latency[i] > 0)
                {
                    yield return ("l" + i.ToString(CultureInfo.InvariantCulture), Latency[i]);
                }

                if (Overhead[i] > 0)
                {
                    yield return ("o" + i.ToString(CultureInfo.InvariantCulture), Overhead[i]);
                }
            }
        }

        public MinuteCounters Snapshot() => new MinuteCounters().AddVolatile(this);

        private MinuteCounters AddVolatile(MinuteCounters other)
        {
            Requests += Volatile.Read(ref other.Requests);
            ClientErrors += Volatile.Read(ref other.ClientErrors);
            ServerErrors += Volatile.Read(ref other.ServerErrors);
            for (var i = 0; i < BucketBounds.Length; i++)
            {
                Latency[i] += Volatile.Read(ref other.Latency[i]);
                Overhead[i] += Volatile.Read(ref other.Overhead[i]);
            }

            return this;
        }

        /// <summary>Reads and zeroes every counter, each in one atomic exchange.</summary>
        public MinuteCounters Drain()
        {
            var drained = new MinuteCounters
            {
                Requests = Interlocked.Exchange(ref Requests, 0),
                ClientErrors = Interlocked.Exchange(ref ClientErrors, 0),
                ServerErrors = Interlocked.Exchange(ref ServerErrors, 0),
            };
            for (var i = 0; i < BucketBounds.Length; i++)
            {
                drained.Latency[i] = Interlocked.Exchange(ref Latency[i], 0);
                drained.Overhead[i] = Interlocked.Exchange(ref Overhead[i], 0);
            }

            return drained;
        }

        public void AddAtomically(MinuteCounters other)
        {
            Interlocked.Add(ref Requests, other.Requests);
            Interlocked.Add(ref ClientErrors, other.ClientErrors);
            Interlocked.Add(ref ServerErrors, other.ServerErrors);
            for (var i = 0; i < BucketBounds.Length; i++)
            {
                Interlocked.Add(ref Latency[i], other.Latency[i]);
                Interlocked.Add(ref Overhead[i], other.Overhead[i]);
            }
        }

        public MinuteCounters Add(MinuteCounters other)
        {
            Requests += other.Requests;
            ClientErrors += other.ClientErrors;
            ServerErrors += other.ServerErrors;
            for (var i = 0; i < BucketBounds.Length; i++)
            {
                Latency[i] += other.Latency[i];
                Overhead[i] += other.Overhead[i];
            }

            return this;
        }

        public static MinuteCounters FromHash(HashEntry[] entries)
        {
            var counters = new MinuteCounters();
            foreach (var entry in entries)
            {
                var name = (string)entry.Name!;
                if (!long.TryParse((string?)entry.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                {
                    continue;
                }

                switch (name)
                {
                    case "requests": counters.Requests = value; break;
                    case "4xx": counters.ClientErrors = value; break;
                    case "5xx": counters.ServerErrors = value; break;
                    default:
                        if (name.Length > 1 && int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < BucketBounds.Length)
                        {
                            if (name[0] == 'l')
                            {
                                counters.Latency[i] = value;
                            }
                            else if (name[0] == 'o')
                            {
                                counters.Overhead[i] = value;
                            }
                        }

                        break;
                }
            }

            return counters;
        }
    }
}

/// <summary>The Overview's traffic figures (GET /admin/v1/stats). Durations in milliseconds; null without data.</summary>
public sealed record TrafficSummary(
    int WindowMinutes,
    long Requests,
    double RequestsPerMinute,
    long ClientErrors,
    long ServerErrors,
    double ErrorRate,
    double? LatencyP50Ms,
    double? LatencyP95Ms,
    double? OverheadP50Ms,
    double? OverheadP95Ms,
    IReadOnlyList<TrafficMinute> Series);

/// <summary>One minute of traffic; <c>minute</c> is its start (unix seconds).</summary>
public sealed record TrafficMinute(long Minute, long Requests, long ClientErrors, long ServerErrors, double? LatencyP50Ms, double? LatencyP95Ms);

/// <summary>Adds each replica's counts to Redis every <see cref="ConsoleOptions.StatisticsFlushInterval"/>, and once more at shutdown.</summary>
public sealed partial class TrafficStatisticsFlusher(TrafficStatistics statistics, IOptions<ConsoleOptions> options, ILogger<TrafficStatisticsFlusher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.StatisticsFlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await FlushAsync();
    }

    private async Task FlushAsync()
    {
        try
        {
            if (!await statistics.FlushAsync())
            {
                LogFlushFailed(logger, null);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogFlushFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Traffic statistics could not be written to Redis; they are kept for the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception? exception);
}
