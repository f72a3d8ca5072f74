using System.Runtime.InteropServices;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CCApi.Shared.Tests;

/// <summary>
/// ServiceDefaults' native memory trim (issue 10): freed native memory glibc keeps in its arenas goes back to the
/// system on the trimmer's interval, and the interval is validated at start.
/// </summary>
public sealed class NativeMemoryTrimTests
{
    [Fact]
    public async Task Native_memory_freed_in_the_middle_of_an_arena_goes_back_to_the_system_on_the_interval()
    {
        var log = new CategoryLog("CCApi.ServiceDefaults.NativeMemoryTrimmer");
        using var host = ServiceDefaultsHost.Build(new() { ["NativeMemory:TrimInterval"] = "00:00:00.200" }, log);

        // 64 MiB of small blocks, all freed but the last: glibc keeps them (one free chunk below an allocated one is not
        // at the arena's top, so free() returns nothing) and only malloc_trim hands the pages back.
        const int blocks = 64 * 1024 * 1024 / 256;
        var held = new IntPtr[blocks];
        for (var i = 0; i < blocks; i++)
        {
            held[i] = Marshal.AllocHGlobal(256);
        }

        // Measured while every block is held: nothing can release those pages, whereas after the frees another test's
        // host trimming first would leave less to measure.
        var before = RssAnonKiB();
        for (var i = 0; i < blocks - 1; i++)
        {
            Marshal.FreeHGlobal(held[i]);
        }

        try
        {
            await host.StartAsync();
            // Until both have happened: the memory went back, and this host's trimmer logged a trim. The drop can come
            // first: the trimmer logs just after its trim returns, and another test's host in this process may trim too.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            var after = before;
            while (DateTime.UtcNow < deadline && (before - after < 32 * 1024 || !log.Lines.Any(Trimmed)))
            {
                await Task.Delay(100);
                after = RssAnonKiB();
            }

            log.Lines.ShouldNotContain(line => line.Contains("no malloc_trim"));
            log.Lines.ShouldContain(line => Trimmed(line));
            (before - after).ShouldBeGreaterThan(32 * 1024, $"RssAnon went from {before} to {after} KiB");
        }
        finally
        {
            Marshal.FreeHGlobal(held[^1]);
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("02:00:00")]
    public async Task A_trim_interval_out_of_range_stops_the_service_and_names_the_setting(string interval)
    {
        using var host = ServiceDefaultsHost.Build(new() { ["NativeMemory:TrimInterval"] = interval }, new CategoryLog("CCApi.ServiceDefaults.NativeMemoryTrimmer"));

        var failure = await Should.ThrowAsync<OptionsValidationException>(() => host.StartAsync());

        failure.Message.ShouldContain(nameof(NativeMemoryOptions.TrimInterval));
    }

    [Fact]
    public void The_interval_is_ten_seconds_unless_configured()
    {
        using var host = ServiceDefaultsHost.Build([], new CategoryLog("CCApi.ServiceDefaults.NativeMemoryTrimmer"));

        host.Services.GetRequiredService<IOptions<NativeMemoryOptions>>().Value.TrimInterval.ShouldBe(TimeSpan.FromSeconds(10));
    }

    private static bool Trimmed(string line) => line.StartsWith("malloc_trim", StringComparison.Ordinal);

    private static long RssAnonKiB() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
