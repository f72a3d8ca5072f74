using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CCApi.ServiceDefaults;

public sealed class NativeMemoryOptions
{
    public const string SectionName = "NativeMemory";

    /// <summary>
    /// How often glibc is asked to hand the native memory it holds free back to the system (<c>malloc_trim</c>);
    /// <c>00:00:00</c> turns it off. See <see cref="NativeMemoryTrimmer"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks <see cref="NativeMemoryOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class NativeMemoryOptionsValidator : IValidateOptions<NativeMemoryOptions>;

/// <summary>
/// Calls glibc's <c>malloc_trim(0)</c> every <see cref="NativeMemoryOptions.TrimInterval"/>. Native memory the runtime
/// frees goes back into glibc's per-thread arenas, which return to the system only what is free at an arena's top; the
/// rest stays resident. After a chat load (issue 10) that was 9-12 MiB in each service, once 27 MiB in a gateway; with
/// the trim on, each service ended ~10 MiB lower (bench/results/2026-12-05-session13-trim.md). A trim took 0.58 ms at
/// the median (17 ms at most) on a loaded machine, every 10 s by default. On a C library without <c>malloc_trim</c>
/// (musl) or on another OS it does nothing.
/// </summary>
internal sealed partial class NativeMemoryTrimmer(IOptions<NativeMemoryOptions> options, ILogger<NativeMemoryTrimmer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.TrimInterval;
        if (interval <= TimeSpan.Zero || !OperatingSystem.IsLinux())
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!TryTrim())
            {
                return;
            }
        }
    }

    /// <summary>One trim; false when this C library has no <c>malloc_trim</c>.</summary>
    private bool TryTrim()
    {
        try
        {
            var debug = logger.IsEnabled(LogLevel.Debug);
            var before = debug ? Environment.WorkingSet : 0;
            var started = Stopwatch.GetTimestamp();
            var released = MallocTrim(0) == 1;
            if (debug)
            {
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                LogTrimmed(logger, released ? "released memory" : "found nothing to release", elapsed, before / 1024, Environment.WorkingSet / 1024);
            }

            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            logger.LogInformation("This C library has no malloc_trim; native memory is not trimmed.");
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "malloc_trim {Outcome} in {Elapsed:0.000} ms; working set {Before} -> {After} KiB")]
    private static partial void LogTrimmed(ILogger logger, string outcome, double elapsed, long before, long after);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}

internal static class NativeMemoryRegistration
{
    public static void AddNativeMemoryTrim(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<NativeMemoryOptions>()
            .BindConfiguration(NativeMemoryOptions.SectionName)
            .ValidateAttributes(new NativeMemoryOptionsValidator())
            .ValidateOnStart();
        builder.Services.AddHostedService<NativeMemoryTrimmer>();
    }
}
