// One workload for a fixed time against the Redis at argv[0]; prints "workload ops/s p50_us p99_us cpu_us_per_op" for the
// report (the client process's own CPU per operation: less sensitive to other load on the machine than ops/s).
// The workloads are the platform's own: a job record written and polled (HSET + HGETALL, what JobStatus and the
// gateway's poll do), the chat-stream append script (XADD + PEXPIRE + PUBLISH) and an XRANGE read of a 20-entry
// stream (what the edge does per notification), each sequentially (latency) and from 16 concurrent callers sharing
// the one multiplexer (throughput).
using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

var endpoint = args[0];
var workload = args[1];
var seconds = double.Parse(args[2], CultureInfo.InvariantCulture);
var protocol = args.Length > 3 ? args[3] : "resp2";

var config = ConfigurationOptions.Parse(endpoint);
#if !SER1
config.Protocol = protocol == "resp3" ? RedisProtocol.Resp3 : RedisProtocol.Resp2;
#endif
using var redis = await ConnectionMultiplexer.ConnectAsync(config);
var db = redis.GetDatabase();

const string AppendScript = """
    local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', '100000', '*', 'd', ARGV[1])
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    redis.call('PUBLISH', KEYS[2], id)
    return id
    """;
var payload = "{\"content\":\"Hello from the benchmark, a chunk of a streamed chat answer.\",\"index\":0}";
var job = new HashEntry[]
{
    new("state", "processing"), new("rank", 1), new("progress", 40), new("model", "local/pixel-async-1"),
    new("provider", "local"), new("created", 1764806400), new("updated", 1764806401), new("owner", "0123456789abcdef"),
    new("webhook", ""), new("result", "{\"images\":[{\"blob\":\"0123456789abcdef0123456789abcdef\"}]}"),
};
var readKey = (RedisKey)"bench:{r}:stream";
await db.KeyDeleteAsync(readKey);
for (var i = 0; i < 20; i++)
{
    await db.ScriptEvaluateAsync(AppendScript, [readKey, "bench:{r}:chan"], [payload, 60000]);
}

var firstId = await FirstStreamIdAsync();

Func<int, long, Task> op = workload switch
{
    "job" => async (worker, n) =>
    {
        var key = (RedisKey)$"bench:{{job:{worker}}}";
        await db.HashSetAsync(key, job);
        var all = await db.HashGetAllAsync(key);
        if (all.Length != job.Length) throw new InvalidOperationException("short read");
    },
    "append" => async (worker, n) =>
    {
        var key = (RedisKey)$"bench:{{s:{worker}}}:stream";
        await db.ScriptEvaluateAsync(AppendScript, [key, $"bench:{{s:{worker}}}:chan"], [payload, 60000]);
        if (n % 1000 == 999) await db.KeyDeleteAsync(key);
    },
    "xrange" => async (worker, n) =>
    {
        var count = await ReadAfterAsync(firstId);
        if (count != 19) throw new InvalidOperationException($"read {count}");
    },
    _ => throw new ArgumentException("workload: job | append | xrange"),
};

foreach (var concurrency in new[] { 1, 16 })
{
    // Warm-up (JIT, script cache), then the measured interval.
    await RunAsync(concurrency, TimeSpan.FromSeconds(Math.Min(1, seconds / 3)), record: false);
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var (ops, p50, p99, count) = await RunAsync(concurrency, TimeSpan.FromSeconds(seconds), record: true);
    var cpuPerOp = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / Math.Max(1, count);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{workload}@{concurrency} {ops:F0} {p50:F1} {p99:F1} {cpuPerOp:F2}"));
}

async Task<(double Ops, double P50, double P99, long Count)> RunAsync(int concurrency, TimeSpan duration, bool record)
{
    var samples = new List<double>[concurrency];
    var total = 0L;
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
    {
        var mine = samples[worker] = new List<double>(100_000);
        long n = 0;
        while (sw.Elapsed < duration)
        {
            var start = Stopwatch.GetTimestamp();
            await op(worker, n++);
            if (record) mine.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        Interlocked.Add(ref total, n);
    }));
    var elapsed = sw.Elapsed.TotalSeconds;
    var all = samples.SelectMany(s => s).Order().ToArray();
    return all.Length == 0 ? (0, 0, 0, total) : (total / elapsed, all[all.Length / 2], all[(int)(all.Length * 0.99)], total);
}

async Task<string> FirstStreamIdAsync()
{
#if SER1
    var entries = (RedisResult[])(await db.ExecuteAsync("XRANGE", readKey, "-", "+", "COUNT", "1"))!;
    return (string)((RedisResult[])entries[0]!)[0]!;
#else
    return (string)(await db.StreamRangeAsync(readKey, "-", "+", count: 1))[0].Id!;
#endif
}

// What ChatStreams.ReadAsync does per notification: the entries after the last id seen, parsed.
async Task<int> ReadAfterAsync(string after)
{
#if SER1
    var entries = (RedisResult[])(await db.ExecuteAsync("XRANGE", readKey, "(" + after, "+", "COUNT", "256"))!;
    var n = 0;
    foreach (var entry in entries)
    {
        var parts = (RedisResult[])entry!;
        var fields = (RedisResult[])parts[1]!;
        n += ((string)fields[1]!).Length > 0 ? 1 : 0;
    }

    return n;
#else
    var entries = await db.StreamRangeAsync(readKey, "(" + after, "+", count: 256);
    var n = 0;
    foreach (var entry in entries)
    {
        n += ((string)entry["d"]!).Length > 0 ? 1 : 0;
    }

    return n;
#endif
}
