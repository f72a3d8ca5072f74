using System.Globalization;
using CCApi.Gateway.Credits;

namespace CCApi.Gateway.Tests;

/// <summary>
/// <see cref="UsagePlan"/>: which hours of a usage report come from the rollups and which parts from the ledger's entries,
/// so that every usage entry is counted exactly once whatever the window and wherever the rollups began.
/// </summary>
public sealed class UsagePlanTests
{
    private const long H = UsagePlan.HourMs;
    private const long Day = 24 * H;
    private static readonly long Base = 20_000 * Day; // a UTC midnight
    private static readonly long Now = Base + 100 * Day;
    private static readonly string Since = (Base - 30 * Day) + "-0"; // rollups began long before the windows below

    [Fact]
    public void A_window_of_whole_hours_is_read_from_the_rollups_alone()
    {
        var plan = UsagePlan.For(Base, Base + 3 * Day - 1, Since, Now);

        (plan.FirstHour, plan.LastHour).ShouldBe((Base / H, Base / H + 71));
        plan.Ranges.ShouldBeEmpty();
    }

    [Fact]
    public void Partial_hours_at_either_end_are_read_from_the_ledger()
    {
        var from = Base + 10 * H + 15 * 60_000 + 7;       // 10:15:00.007
        var to = Base + 13 * H + 30 * 60_000 + 999;        // 13:30:00.999

        var plan = UsagePlan.For(from, to, Since, Now);

        (plan.FirstHour, plan.LastHour).ShouldBe((Base / H + 11, Base / H + 12));
        plan.Ranges.ShouldBe([new LedgerRange($"{from}", $"{Base + 11 * H - 1}"), new LedgerRange($"{Base + 13 * H}", $"{to}")]);
    }

    [Fact]
    public void A_window_inside_one_hour_is_read_from_the_ledger()
    {
        var plan = UsagePlan.For(Base + 5 * 60_000, Base + 6 * 60_000, Since, Now);

        plan.HasHours.ShouldBeFalse();
        plan.Ranges.ShouldBe([new LedgerRange($"{Base + 5 * 60_000}", $"{Base + 6 * 60_000}")]);
    }

    [Fact]
    public void An_hour_still_running_is_read_whole_from_its_rollup()
    {
        var now = Base + 5 * H + 20 * 60_000;

        var plan = UsagePlan.For(Base, now, Since, now);
        var past = UsagePlan.For(Base, now - 60_000, Since, now);

        (plan.FirstHour, plan.LastHour).ShouldBe((Base / H, Base / H + 5));
        plan.Ranges.ShouldBeEmpty();
        (past.FirstHour, past.LastHour).ShouldBe((Base / H, Base / H + 4));
        past.Ranges.ShouldBe([new LedgerRange($"{Base + 5 * H}", $"{now - 60_000}")]);
    }

    [Fact]
    public void Without_rollups_the_whole_window_is_read_from_the_ledger()
    {
        var plan = UsagePlan.For(Base, Base + Day - 1, null, Now);

        plan.HasHours.ShouldBeFalse();
        plan.Ranges.ShouldBe([new LedgerRange($"{Base}", $"{Base + Day - 1}", BeforeRollups: true)]);
    }

    [Fact]
    public void Usage_from_before_the_rollups_is_read_from_the_ledger_up_to_the_first_rolled_up_entry()
    {
        var since = $"{Base + 7 * H + 1234}-3";

        var plan = UsagePlan.For(Base, Base + Day - 1, since, Now);
        var before = UsagePlan.For(Base, Base + 6 * H, since, Now);
        var after = UsagePlan.For(Base + 8 * H, Base + Day - 1, since, Now);

        (plan.FirstHour, plan.LastHour).ShouldBe((Base / H + 7, Base / H + 23)); // hour 7 holds only entries from "since" on
        plan.Ranges.ShouldBe([new LedgerRange($"{Base}", "(" + since, BeforeRollups: true)]);
        before.HasHours.ShouldBeFalse();
        before.Ranges.ShouldBe([new LedgerRange($"{Base}", $"{Base + 6 * H}", BeforeRollups: true)]);
        (after.FirstHour, after.LastHour).ShouldBe((Base / H + 8, Base / H + 23));
        after.Ranges.ShouldBeEmpty();
    }

    [Fact]
    public void A_window_starting_inside_the_first_rolled_up_hour_reads_that_part_from_the_ledger()
    {
        var since = $"{Base + 7 * H + 1234}-3";
        var from = Base + 7 * H + 5000;

        var plan = UsagePlan.For(from, Base + 9 * H - 1, since, Now);

        (plan.FirstHour, plan.LastHour).ShouldBe((Base / H + 8, Base / H + 8));
        plan.Ranges.ShouldBe([new LedgerRange($"{from}", $"{Base + 8 * H - 1}")]);
    }

    [Fact]
    public void Every_entry_is_counted_once_whatever_the_window()
    {
        // Entries every 7 minutes over two days, three of them in one ms, where the rollups began (at the second of the
        // three); entries after "now" do not exist yet. Any window's count from its plan equals a plain count.
        var all = Enumerable.Range(0, 420).Select(i => (Ms: Base + i * 7 * 60_000L, Seq: 0L)).ToList();
        all.InsertRange(101, [(all[100].Ms, 1L), (all[100].Ms, 2L)]);
        var since = all[101];
        var random = new Random(7);
        for (var trial = 0; trial < 3000; trial++)
        {
            var a = Base - H + (long)(random.NextDouble() * 3 * Day);
            var b = a + (long)(random.NextDouble() * (random.Next(2) == 0 ? 3 * H : 2 * Day));
            var now = Base + (long)(random.NextDouble() * 3 * Day);
            var entries = all.Where(e => e.Ms <= now).ToList();
            var plan = UsagePlan.For(a, b, $"{since.Ms}-{since.Seq}", now);

            var fromRollups = entries.Count(e => Compare(e, since) >= 0 && e.Ms / H >= plan.FirstHour && e.Ms / H <= plan.LastHour);
            // A range before the rollups is read from the ledger, the others from the usage entries: each holds its side of "since".
            var fromLedger = plan.Ranges.Sum(r => entries.Count(e => InRange(e, r) && (Compare(e, since) < 0) == r.BeforeRollups));
            plan.Ranges.Sum(r => entries.Count(e => InRange(e, r))).ShouldBe(fromLedger, $"window [{a}, {b}]: a range reads the wrong stream");
            var expected = entries.Count(e => e.Ms >= a && e.Ms <= b);

            (fromRollups + fromLedger).ShouldBe(expected, $"window [{a}, {b}], now {now}");
        }
    }

    private static int Compare((long Ms, long Seq) x, (long Ms, long Seq) y) => x.Ms != y.Ms ? x.Ms.CompareTo(y.Ms) : x.Seq.CompareTo(y.Seq);

    private static bool InRange((long Ms, long Seq) entry, LedgerRange range) =>
        Compare(entry, Parse(range.Start, start: true)) >= (range.Start.StartsWith('(') ? 1 : 0)
        && Compare(entry, Parse(range.End, start: false)) <= (range.End.StartsWith('(') ? -1 : 0);

    private static (long Ms, long Seq) Parse(string id, bool start)
    {
        var bare = id.TrimStart('(');
        var dash = bare.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? (long.Parse(bare, CultureInfo.InvariantCulture), start ? 0 : long.MaxValue) : (long.Parse(bare[..dash], CultureInfo.InvariantCulture), long.Parse(bare[(dash + 1)..], CultureInfo.InvariantCulture));
    }
}
