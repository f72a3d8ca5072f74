using System.Globalization;
using CCApi.Gateway.Credits;

namespace CCApi.Gateway.Tests;

/// <summary>
/// <see cref="UsagePlan"/>: which hours of a usage report come from the rollups and which parts from the usage entries,
/// so that every entry is counted exactly once whatever the window.
/// </summary>
public sealed class UsagePlanTests
{
    private const long H = UsagePlan.HourMs;
    private const long Day = 24 * H;
    private static readonly long Base = 20_000 * Day; // a UTC midnight
    private static readonly long Now = Base + 100 * Day;

    [Fact]
    public void A_window_of_whole_hours_is_read_from_the_rollups_alone()
    {
        var plan = UsagePlan.For(Base, Base + 3 * Day - 1, Now);

        (plan.FirstHour, plan.LastHour).ShouldBe((Base / H, Base / H + 71));
        plan.Ranges.ShouldBeEmpty();
    }

    [Fact]
    public void Partial_hours_at_either_end_are_read_entry_by_entry()
    {
        var from = Base + 10 * H + 15 * 60_000 + 7;       // 10:15:00.007
        var to = Base + 13 * H + 30 * 60_000 + 999;        // 13:30:00.999

        var plan = UsagePlan.For(from, to, Now);

        (plan.FirstHour, plan.LastHour).ShouldBe((Base / H + 11, Base / H + 12));
        plan.Ranges.ShouldBe([new LedgerRange($"{from}", $"{Base + 11 * H - 1}"), new LedgerRange($"{Base + 13 * H}", $"{to}")]);
    }

    [Fact]
    public void A_window_inside_one_hour_is_read_entry_by_entry()
    {
        var plan = UsagePlan.For(Base + 5 * 60_000, Base + 6 * 60_000, Now);

        plan.HasHours.ShouldBeFalse();
        plan.Ranges.ShouldBe([new LedgerRange($"{Base + 5 * 60_000}", $"{Base + 6 * 60_000}")]);
    }

    [Fact]
    public void An_hour_still_running_is_read_whole_from_its_rollup()
    {
        var now = Base + 5 * H + 20 * 60_000;

        var plan = UsagePlan.For(Base, now, now);
        var past = UsagePlan.For(Base, now - 60_000, now);

        (plan.FirstHour, plan.LastHour).ShouldBe((Base / H, Base / H + 5));
        plan.Ranges.ShouldBeEmpty();
        (past.FirstHour, past.LastHour).ShouldBe((Base / H, Base / H + 4));
        past.Ranges.ShouldBe([new LedgerRange($"{Base + 5 * H}", $"{now - 60_000}")]);
    }

    [Fact]
    public void An_empty_window_reads_nothing()
    {
        var plan = UsagePlan.For(Base + 1, Base, Now);

        plan.HasHours.ShouldBeFalse();
        plan.Ranges.ShouldBeEmpty();
    }

    [Fact]
    public void Every_entry_is_counted_once_whatever_the_window()
    {
        // Entries every 7 minutes over two days, three of them in one ms; entries after "now" do not exist yet. Any
        // window's count from its plan (rollup hours + entry ranges) equals a plain count.
        var all = Enumerable.Range(0, 420).Select(i => (Ms: Base + i * 7 * 60_000L, Seq: 0L)).ToList();
        all.InsertRange(101, [(all[100].Ms, 1L), (all[100].Ms, 2L)]);
        var random = new Random(7);
        for (var trial = 0; trial < 3000; trial++)
        {
            var a = Base - H + (long)(random.NextDouble() * 3 * Day);
            var b = a + (long)(random.NextDouble() * (random.Next(2) == 0 ? 3 * H : 2 * Day));
            var now = Base + (long)(random.NextDouble() * 3 * Day);
            var entries = all.Where(e => e.Ms <= now).ToList();
            var plan = UsagePlan.For(a, b, now);

            var fromRollups = entries.Count(e => e.Ms / H >= plan.FirstHour && e.Ms / H <= plan.LastHour);
            var fromEntries = plan.Ranges.Sum(r => entries.Count(e => e.Ms >= Ms(r.Start) && e.Ms <= Ms(r.End)));
            var expected = entries.Count(e => e.Ms >= a && e.Ms <= b);

            (fromRollups + fromEntries).ShouldBe(expected, $"window [{a}, {b}], now {now}");
        }
    }

    private static long Ms(string id) => long.Parse(id, CultureInfo.InvariantCulture);
}
