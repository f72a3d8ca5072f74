namespace CCApi.Gateway.Credits;

/// <summary>A range of one key's usage entries to read one by one: from <see cref="Start"/> to <see cref="End"/> (XRANGE ids, both included).</summary>
public readonly record struct LedgerRange(string Start, string End);

/// <summary>
/// How one key's usage in a window [from, to] (unix ms, both included) is read from its usage entries
/// (<see cref="RedisKeys.ApiKeyUsageEntries"/>), which the hourly rollups (<see cref="CreditScripts.UsageRollupFunction"/>)
/// hold summed, each entry in its stream id's hour: the whole hours of the window, <see cref="FirstHour"/> to
/// <see cref="LastHour"/> (hours since the epoch; none when <see cref="FirstHour"/> &gt; <see cref="LastHour"/>), from the
/// rollups, and the rest — at most the part of one hour at each end — entry by entry (<see cref="Ranges"/>). Usage in
/// the ledger itself (settled before the usage entries existed, or by a gateway of that version) is in no rollup: the
/// reader takes it from the ledger over the whole window.
/// </summary>
public sealed record UsagePlan(long FirstHour, long LastHour, IReadOnlyList<LedgerRange> Ranges)
{
    public const long HourMs = 3_600_000;

    public bool HasHours => FirstHour <= LastHour;

    /// <param name="from">The window's first unix ms.</param>
    /// <param name="to">The window's last unix ms.</param>
    /// <param name="now">Unix ms now: an hour that ends after now has no entries after the window's end yet, so it is read whole from its rollup.</param>
    public static UsagePlan For(long from, long to, long now)
    {
        if (from > to)
        {
            return new UsagePlan(1, 0, []);
        }

        var leftWhole = from % HourMs == 0;
        var rightWhole = (to + 1) % HourMs == 0 || to >= now;
        var (lowHour, highHour) = (from / HourMs, to / HourMs);
        if (lowHour == highHour)
        {
            return leftWhole && rightWhole ? new UsagePlan(lowHour, lowHour, []) : new UsagePlan(1, 0, [new LedgerRange(Id(from), Id(to))]);
        }

        var ranges = new List<LedgerRange>(2);
        var (first, last) = (lowHour, highHour);
        if (!leftWhole)
        {
            ranges.Add(new LedgerRange(Id(from), Id((lowHour + 1) * HourMs - 1)));
            first++;
        }

        if (!rightWhole)
        {
            ranges.Add(new LedgerRange(Id(highHour * HourMs), Id(to)));
            last--;
        }

        return new UsagePlan(first, last, ranges);
    }

    // A bare ms is a whole millisecond to XRANGE: "ms" as a start means ms-0, as an end ms-(max).
    private static string Id(long ms) => ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
