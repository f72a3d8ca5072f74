using CCApi.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Shared.Tests;

/// <summary>
/// ServiceDefaults' idle heap release (issue 10): a service that has gone quiet after a load returns the GC memory it
/// holds committed but unused — once per quiet spell, only when there is enough to return, never while it is busy.
/// </summary>
public sealed class IdleHeapReleaseTests
{
    private const long MiB = 1 << 20;
    private static readonly HeapState Loaded = new(CollectionIndex: 40, Committed: 30 * MiB, HeapSize: 12 * MiB);

    [Fact]
    public void Releases_once_the_allocations_have_stayed_below_the_quiet_rate_for_the_quiet_period()
    {
        var policy = Policy();
        var allocated = 0L;
        var decisions = new List<bool>();
        for (var second = 0; second <= 6; second++)
        {
            allocated += 200 * 1024; // 200 KiB/s: health probes and heartbeats
            decisions.Add(policy.Sample(TimeSpan.FromSeconds(second), allocated, Loaded));
        }

        // Quiet from 0 s (the first sample only starts the count); 5 s of it by the sample at 5 s.
        decisions.ShouldBe([false, false, false, false, false, true, true]);
    }

    [Fact]
    public void A_busy_sample_starts_the_quiet_period_again()
    {
        var policy = Policy();
        policy.Sample(TimeSpan.Zero, 0, Loaded);
        policy.Sample(TimeSpan.FromSeconds(1), 100 * 1024, Loaded).ShouldBeFalse();
        policy.Sample(TimeSpan.FromSeconds(2), 100 * 1024 + 30 * MiB, Loaded).ShouldBeFalse(); // a burst of load: 30 MiB/s

        var allocated = 100 * 1024 + 30 * MiB;
        for (var second = 3; second < 7; second++)
        {
            policy.Sample(TimeSpan.FromSeconds(second), allocated += 1024, Loaded).ShouldBeFalse($"{second} s: quiet only since 2 s");
        }

        policy.Sample(TimeSpan.FromSeconds(7), allocated + 1024, Loaded).ShouldBeTrue();
    }

    [Fact]
    public void Does_not_release_less_than_the_minimum()
    {
        var policy = Policy();
        var small = Loaded with { Committed = Loaded.HeapSize + 7 * MiB };
        for (var second = 0; second <= 10; second++)
        {
            policy.Sample(TimeSpan.FromSeconds(second), second * 1024, small).ShouldBeFalse();
        }
    }

    [Fact]
    public void Releases_once_per_collection_and_again_after_the_service_has_collected_and_gone_quiet_anew()
    {
        var policy = Policy();
        for (var second = 0; second < 5; second++)
        {
            policy.Sample(TimeSpan.FromSeconds(second), second * 1024, Loaded);
        }

        policy.Sample(TimeSpan.FromSeconds(5), 5 * 1024, Loaded).ShouldBeTrue();
        var released = new HeapState(CollectionIndex: 41, Committed: 13 * MiB, HeapSize: 12 * MiB);
        policy.Released(released);

        // Idle for a long time after it: the last collection is the release itself, which left nothing unused.
        for (var second = 6; second < 60; second++)
        {
            policy.Sample(TimeSpan.FromSeconds(second), second * 1024, released).ShouldBeFalse();
        }

        // Even a report of unused memory from that same collection does not repeat it.
        policy.Sample(TimeSpan.FromSeconds(60), 60 * 1024, released with { Committed = 40 * MiB }).ShouldBeFalse();

        // Load again (the GC collects and commits), then quiet: released once more after a full quiet period.
        var again = new HeapState(CollectionIndex: 90, Committed: 31 * MiB, HeapSize: 12 * MiB);
        policy.Sample(TimeSpan.FromSeconds(61), 61 * 1024 + 500 * MiB, again).ShouldBeFalse();
        for (var second = 62; second < 66; second++)
        {
            policy.Sample(TimeSpan.FromSeconds(second), 500 * MiB + second * 1024, again).ShouldBeFalse();
        }

        policy.Sample(TimeSpan.FromSeconds(66), 500 * MiB + 66 * 1024, again).ShouldBeTrue();
    }

    [Fact]
    public async Task A_quiet_host_runs_one_full_collection_that_logs_the_release()
    {
        var log = Log();
        // The quiet rate is set high so that the tests running beside this one in the process do not keep it busy.
        using var host = ServiceDefaultsHost.Build(new()
        {
            ["IdleHeap:QuietPeriod"] = "00:00:00.300",
            ["IdleHeap:QuietAllocationRate"] = (1L << 36).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["IdleHeap:MinimumRelease"] = "1",
        }, log);

        // Garbage enough for the GC to collect and keep regions committed that it no longer uses.
        var sink = 0L;
        for (var i = 0; i < 8_000; i++)
        {
            sink += new byte[16 * 1024].Length;
        }

        GC.Collect(0, GCCollectionMode.Forced, blocking: true); // a collection whose state leaves something unused
        var fullBefore = GC.CollectionCount(GC.MaxGeneration);
        try
        {
            await host.StartAsync();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline && !log.Lines.Any(line => line.StartsWith("Quiet: the GC released", StringComparison.Ordinal)))
            {
                await Task.Delay(100);
            }

            log.Lines.ShouldContain(line => line.StartsWith("Quiet: the GC released", StringComparison.Ordinal), $"allocated {sink} bytes");
            GC.CollectionCount(GC.MaxGeneration).ShouldBeGreaterThan(fullBefore);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void Defaults_are_five_quiet_seconds_below_one_MiB_a_second_and_eight_MiB_to_release()
    {
        using var host = ServiceDefaultsHost.Build([], Log());

        var options = host.Services.GetRequiredService<IOptions<IdleHeapOptions>>().Value;

        options.QuietPeriod.ShouldBe(TimeSpan.FromSeconds(5));
        options.QuietAllocationRate.ShouldBe(MiB);
        options.MinimumRelease.ShouldBe(8 * MiB);
    }

    [Theory]
    [InlineData("QuietPeriod", "-00:00:01")]
    [InlineData("QuietPeriod", "02:00:00")]
    [InlineData("QuietAllocationRate", "-1")]
    [InlineData("MinimumRelease", "-5")]
    public async Task A_setting_out_of_range_stops_the_service_and_names_the_setting(string setting, string value)
    {
        using var host = ServiceDefaultsHost.Build(new() { [$"IdleHeap:{setting}"] = value }, Log());

        var failure = await Should.ThrowAsync<OptionsValidationException>(() => host.StartAsync());

        failure.Message.ShouldContain(setting);
    }

    private static CategoryLog Log() => new("CCApi.ServiceDefaults.IdleHeapReleaser");

    private static IdleHeapPolicy Policy() => new(new IdleHeapOptions());
}
