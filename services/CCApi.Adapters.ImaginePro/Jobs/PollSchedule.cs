namespace CCApi.Adapters.ImaginePro.Jobs;

/// <summary>The waits between polls: the first one, then each times the factor, never above the cap.</summary>
public static class PollSchedule
{
    public static IEnumerable<TimeSpan> Intervals(TimeSpan initial, TimeSpan max, double factor)
    {
        var next = initial < max ? initial : max;
        while (true)
        {
            yield return next;
            var grown = TimeSpan.FromTicks((long)Math.Min(next.Ticks * factor, max.Ticks));
            next = grown < max ? grown : max;
        }
    }

    public static IEnumerable<TimeSpan> Intervals(ImagineProAdapterOptions options) =>
        Intervals(options.PollInitialInterval, options.PollMaxInterval, options.PollBackoffFactor);
}
