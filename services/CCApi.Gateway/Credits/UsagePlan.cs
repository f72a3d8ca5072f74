namespace CCApi.Gateway.Credits;

/// <summary>
/// A range of one key's usage entries to read one by one: from <see cref="Start"/> to <see cref="End"/> (XRANGE ids; "("
/// = exclusive), in the usage entries' stream or, <see cref="BeforeRollups"/>, in the ledger (usage settled before the
/// key's rollups began, among its credit changes).
/// </summary>
public readonly record struct LedgerRange(string Start, string End, bool BeforeRollups = false);

/// <summary>
/// How one key's usage in a window [from, to] (unix ms, both included) is read: the
/// whole hours in it from the key's hourly rollups (<see cref="CreditScripts.UsageRollupFunction"/>), hours
/// <see cref="FirstHour"/> to <see cref="LastHour"/> (hours since the epoch; none when <see cref="FirstHour"/> &gt;
/// <see cref="LastHour"/>), and the rest — at most the part of one hour at each end, and the usage written before the key
/// had rollups — from the ledger's entries. Each usage entry is counted once: the rollups hold the entries from the
/// key's "since" id on, each in its stream id's hour.
/// </summary>
public sealed record UsagePlan(long FirstHour, long LastHour, IReadOnlyList<LedgerRange> Ranges)
{
    public const long HourMs = 3_600_000;

    public bool HasHours => FirstHour <= LastHour;

    /// <param name="from">The window's first unix ms.</param>
    /// <param name="to">The window's last unix ms.</param>
    /// <param name="since">The key's first rolled-up ledger id ("ms-seq"), or null when it has none: then the whole window is read from the ledger.</param>
    /// <param name="now">Unix ms now: an hour that ends after now has no entries after the window's end yet, so it is read whole from its rollup.</param>
    public static UsagePlan For(long from, long to, string? since, long now)
    {
        if (since is null || !TryMs(since, out var sinceMs))
        {
            return new UsagePlan(1, 0, [new LedgerRange(Id(from), Id(to), BeforeRollups: true)]);
        }

        var ranges = new List<LedgerRange>(3);
        long low;
        string lowId;
        bool leftWhole;
        if (from <= sinceMs)
        {
            // Usage before the rollups began is in the ledger only; the rollups start exactly at "since".
            ranges.Add(new LedgerRange(Id(from), to < sinceMs ? Id(to) : "(" + since, BeforeRollups: true));
            (low, lowId, leftWhole) = (sinceMs, since, true);
        }
        else
        {
            (low, lowId, leftWhole) = (from, Id(from), from % HourMs == 0);
        }

        if (low > to)
        {
            return new UsagePlan(1, 0, ranges);
        }

        var rightWhole = (to + 1) % HourMs == 0 || to >= now;
        var (lowHour, highHour) = (low / HourMs, to / HourMs);
        if (lowHour == highHour)
        {
            if (leftWhole && rightWhole)
            {
                return new UsagePlan(lowHour, lowHour, ranges);
            }

            ranges.Add(new LedgerRange(lowId, Id(to)));
            return new UsagePlan(1, 0, ranges);
        }

        var (first, last) = (lowHour, highHour);
        if (!leftWhole)
        {
            ranges.Add(new LedgerRange(lowId, Id((lowHour + 1) * HourMs - 1)));
            first++;
        }

        if (!rightWhole)
        {
            ranges.Add(new LedgerRange(Id(highHour * HourMs), Id(to)));
            last--;
        }

        return new UsagePlan(first, last, ranges);
    }

    /// <summary>The millisecond part of a stream id ("ms-seq").</summary>
    public static bool TryMs(string streamId, out long ms)
    {
        var parsed = StreamId.TryParse(streamId, out var id);
        ms = id.Ms;
        return parsed;
    }

    // A bare ms is a whole millisecond to XRANGE: "ms" as a start means ms-0, as an end ms-(max).
    private static string Id(long ms) => ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
