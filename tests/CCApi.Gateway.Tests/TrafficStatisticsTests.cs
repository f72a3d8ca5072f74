using CCApi.Gateway.OperatorConsole;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Gateway.Tests;

/// <summary>The console's traffic figures: histogram arithmetic, and two replicas summed through the real Redis.</summary>
public sealed class TrafficStatisticsTests : IAsyncLifetime
{
    // A minute far in the past, unique per run, so runs sharing a Redis never see each other's counts.
    private readonly DateTimeOffset _start = DateTimeOffset.FromUnixTimeSeconds(60 * (1_000_000 + Random.Shared.NextInt64(1_000_000_000)));
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);

    public Task DisposeAsync()
    {
        _redis.Dispose();
        return Task.CompletedTask;
    }

    private TrafficStatistics Replica(TimeProvider time) =>
        new(_redis, Options.Create(new ConsoleOptions { StatisticsRetention = TimeSpan.FromMinutes(10) }), time);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(1.2, 1)]
    [InlineData(1.25, 1)]
    [InlineData(1.26, 2)]
    [InlineData(100, 21)] // 1.25^21 ≈ 108
    [InlineData(1e9, 59)] // beyond the last bound: the last bucket
    public void A_duration_falls_in_the_first_bucket_whose_bound_holds_it(double milliseconds, int bucket) =>
        TrafficStatistics.Bucket(milliseconds).ShouldBe(bucket);

    [Fact]
    public void Percentiles_come_from_the_bucket_holding_that_rank_within_one_bucket_width()
    {
        var histogram = new long[TrafficStatistics.BucketBounds.Length];
        for (var ms = 1; ms <= 100; ms++)
        {
            histogram[TrafficStatistics.Bucket(ms)]++;
        }

        TrafficStatistics.Percentile(histogram, 0.50)!.Value.ShouldBeInRange(50 / 1.25, 50 * 1.25);
        TrafficStatistics.Percentile(histogram, 0.95)!.Value.ShouldBeInRange(95 / 1.25, 95 * 1.25);
        TrafficStatistics.Percentile(new long[TrafficStatistics.BucketBounds.Length], 0.5).ShouldBeNull();
    }

    [Fact]
    public async Task Two_replicas_counts_are_summed_per_minute_once_flushed()
    {
        var time = new ManualTime(_start.AddSeconds(5));
        var first = Replica(time);
        var second = Replica(time);
        first.Record(200, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(1));
        first.Record(502, TimeSpan.FromMilliseconds(40), overhead: null);
        second.Record(429, latency: null, overhead: null);
        time.Advance(TimeSpan.FromMinutes(1));
        second.Record(200, TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(2));

        (await first.FlushAsync()).ShouldBeTrue();
        (await second.FlushAsync()).ShouldBeTrue();
        var summary = await Replica(time).ReadAsync(2);

        summary.Requests.ShouldBe(4);
        summary.ServerErrors.ShouldBe(1);
        summary.ClientErrors.ShouldBe(1);
        summary.ErrorRate.ShouldBe(0.25);
        summary.Series.Select(m => m.Requests).ShouldBe([3L, 1L]);
        summary.Series[0].Minute.ShouldBe(_start.ToUnixTimeSeconds());
        summary.LatencyP50Ms!.Value.ShouldBeInRange(30 / 1.25, 30 * 1.25);
        summary.OverheadP95Ms!.Value.ShouldBeInRange(2 / 1.25, 2 * 1.25);
    }

    [Fact]
    public async Task A_replica_sees_its_own_unflushed_requests_and_a_flush_never_counts_twice()
    {
        var time = new ManualTime(_start.AddSeconds(10));
        var replica = Replica(time);
        replica.Record(200, TimeSpan.FromMilliseconds(5), null);

        (await replica.ReadAsync(1)).Requests.ShouldBe(1);  // from memory
        await replica.FlushAsync();
        await replica.FlushAsync();                            // nothing new: adds nothing
        (await replica.ReadAsync(1)).Requests.ShouldBe(1);  // from Redis
        (await Replica(time).ReadAsync(1)).Requests.ShouldBe(1);
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
