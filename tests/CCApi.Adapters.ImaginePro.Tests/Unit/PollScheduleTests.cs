using CCApi.Adapters.ImaginePro.Jobs;

namespace CCApi.Adapters.ImaginePro.Tests.Unit;

public sealed class PollScheduleTests
{
    [Fact]
    public void Grows_from_the_first_interval_by_the_factor_up_to_the_cap()
    {
        var waits = PollSchedule.Intervals(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), 1.5).Take(7).Select(w => w.TotalSeconds).ToList();

        waits.ShouldBe([1, 1.5, 2.25, 3.375, 5, 5, 5]);
    }

    [Fact]
    public void Stays_fixed_with_a_factor_of_one_and_never_exceeds_a_cap_below_the_first_interval()
    {
        PollSchedule.Intervals(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), 1).Take(3).ShouldAllBe(w => w == TimeSpan.FromSeconds(2));
        PollSchedule.Intervals(TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(5), 2).Take(3).ShouldAllBe(w => w == TimeSpan.FromSeconds(5));
    }
}
