using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CCApi.ServiceDefaults;

public sealed class IdleHeapOptions
{
    public const string SectionName = "IdleHeap";

    /// <summary>
    /// How long the service must allocate less than <see cref="QuietAllocationRate"/> before the GC returns the memory it
    /// holds committed but unused (<see cref="IdleHeapReleaser"/>); <c>00:00:00</c> turns the release off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan QuietPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Bytes allocated per second below which the service counts as quiet (default 1 MiB/s: a few dozen requests a second).</summary>
    [Range(typeof(long), "0", "1099511627776")]
    public long QuietAllocationRate { get; set; } = 1 << 20;

    /// <summary>Committed but unused GC memory below which a release is not worth its pause (default 8 MiB).</summary>
    [Range(typeof(long), "0", "1099511627776")]
    public long MinimumRelease { get; set; } = 8 << 20;
}

/// <summary>Checks <see cref="IdleHeapOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class IdleHeapOptionsValidator : IValidateOptions<IdleHeapOptions>;

/// <summary>What the GC's last collection left: its number, the memory committed and the heap's size after it.</summary>
public readonly record struct HeapState(long CollectionIndex, long Committed, long HeapSize)
{
    public long Unused => Math.Max(0, Committed - HeapSize);
}

/// <summary>
/// When a quiet service should return its GC's unused memory (<see cref="IdleHeapReleaser"/>), from samples of the bytes
/// it has allocated so far: once every sample over <see cref="IdleHeapOptions.QuietPeriod"/> allocated below the quiet
/// rate, when the last collection left at least <see cref="IdleHeapOptions.MinimumRelease"/> committed but unused, and
/// not twice for the same collection (a release is itself a collection that leaves nothing unused, so an idle service
/// releases once, and again only after its allocations have made the GC collect — and commit — again).
/// </summary>
public sealed class IdleHeapPolicy(IdleHeapOptions options)
{
    private long? _lastAllocated;
    private TimeSpan _lastSample;
    private TimeSpan? _quietSince;
    private long _releasedAt = -1;

    /// <summary>One sample at <paramref name="now"/> (any monotonic clock); true when the heap should be released now.</summary>
    public bool Sample(TimeSpan now, long allocatedBytes, HeapState heap)
    {
        var previous = _lastAllocated;
        var since = now - _lastSample;
        (_lastAllocated, _lastSample) = (allocatedBytes, now);
        if (previous is null || since <= TimeSpan.Zero)
        {
            return false; // the first sample: no rate yet
        }

        var rate = (allocatedBytes - previous.Value) / since.TotalSeconds;
        if (rate > options.QuietAllocationRate)
        {
            _quietSince = null;
            return false;
        }

        _quietSince ??= now - since; // quiet since the sample before this one
        return now - _quietSince >= options.QuietPeriod
            && heap.CollectionIndex != _releasedAt
            && heap.Unused >= options.MinimumRelease;
    }

    /// <summary>The release ran: <paramref name="after"/> is what its collection left; the next one needs a new quiet period.</summary>
    public void Released(HeapState after)
    {
        _releasedAt = after.CollectionIndex;
        _quietSince = null;
    }
}

/// <summary>
/// Returns a quiet service's unused GC memory to the system (issue 10: RSS ≤ 150 MiB per service after load). The
/// workstation GC keeps the regions a load made it commit — ~18 MiB beyond a ~12 MiB live heap in the gateway after a chat
/// load — and gives them back only during later collections, which a service that has gone quiet no longer runs. So once
/// <see cref="IdleHeapPolicy"/> says the service has been quiet long enough, one blocking collection in
/// <see cref="GCCollectionMode.Aggressive"/> mode compacts the heap and decommits everything it does not use: 20–30 MiB of
/// RSS in the gateway, the OpenAI adapter and JobStatus after the bench's load
/// (bench/results/2026-12-07-session27-idle-heap.md). Its pause (7–15 ms for these heaps) falls when few requests arrive:
/// once after a burst of load, and under a light trickle once per collection the trickle causes (every ~30 s at 20 chat
/// requests a second in the gateway, latencies unchanged); a busy service never sees it.
/// </summary>
internal sealed partial class IdleHeapReleaser(IOptions<IdleHeapOptions> options, ILogger<IdleHeapReleaser> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.QuietPeriod <= TimeSpan.Zero)
        {
            return;
        }

        var policy = new IdleHeapPolicy(settings);
        var every = TimeSpan.FromTicks(Math.Clamp(settings.QuietPeriod.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(every);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (policy.Sample(clock.Elapsed, GC.GetTotalAllocatedBytes(), Heap()))
            {
                policy.Released(Release());
            }
        }
    }

    private HeapState Release()
    {
        var debug = logger.IsEnabled(LogLevel.Debug);
        var before = Heap();
        var workingSet = debug ? Environment.WorkingSet : 0;
        var started = Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var after = Heap();
        if (debug)
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogReleased(logger, elapsed, before.Committed >> 10, after.Committed >> 10, workingSet >> 10, Environment.WorkingSet >> 10);
        }

        return after;
    }

    private static HeapState Heap()
    {
        var info = GC.GetGCMemoryInfo();
        return new HeapState(info.Index, info.TotalCommittedBytes, info.HeapSizeBytes);
    }

    [LoggerMessage(Level = LogLevel.Debug,
        Message = "Quiet: the GC released its unused memory in {Elapsed:0.0} ms; committed {Before} -> {After} KiB, working set {WorkingSetBefore} -> {WorkingSetAfter} KiB")]
    private static partial void LogReleased(ILogger logger, double elapsed, long before, long after, long workingSetBefore, long workingSetAfter);
}

internal static class IdleHeapRegistration
{
    public static void AddIdleHeapRelease(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdleHeapOptions>()
            .BindConfiguration(IdleHeapOptions.SectionName)
            .ValidateAttributes(new IdleHeapOptionsValidator())
            .ValidateOnStart();
        builder.Services.AddHostedService<IdleHeapReleaser>();
    }
}
