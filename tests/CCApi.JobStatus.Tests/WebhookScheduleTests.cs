using CCApi.JobStatus.Webhooks;

namespace CCApi.JobStatus.Tests;

public class WebhookScheduleTests
{
    private static readonly IReadOnlyList<TimeSpan> Default = new WebhookOptions().RetryDelays;

    [Fact]
    public void The_default_schedule_retries_seven_times_over_more_than_a_day()
    {
        Default.ShouldBe([
            TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
            TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10)]);
        // Even with every delay at -10% jitter, the last attempt is more than 24 h after the first.
        TimeSpan.FromTicks(Default.Sum(d => d.Ticks) * 9 / 10).ShouldBeGreaterThan(TimeSpan.FromHours(24));
    }

    [Theory]
    [InlineData(0.0, 0.9)]
    [InlineData(0.5, 1.0)]
    [InlineData(0.999999, 1.1)]
    public void Each_delay_gets_up_to_ten_percent_jitter_either_way(double random, double factor)
    {
        var delay = WebhookSchedule.NextDelay(Default, 2, null, 0.1, TimeSpan.FromHours(10), random)!.Value;
        delay.TotalSeconds.ShouldBe(300 * factor, 0.01);
    }

    [Fact]
    public void There_is_no_retry_after_the_last_attempt()
    {
        WebhookSchedule.NextDelay(Default, 7, null, 0.1, TimeSpan.FromHours(10), 0.5).ShouldBe(TimeSpan.FromHours(10));
        WebhookSchedule.NextDelay(Default, 8, null, 0.1, TimeSpan.FromHours(10), 0.5).ShouldBeNull();
    }

    [Fact]
    public void Retry_after_lengthens_a_delay_up_to_the_bound_and_never_shortens_one()
    {
        TimeSpan? Next(int attempts, TimeSpan retryAfter) => WebhookSchedule.NextDelay(Default, attempts, retryAfter, 0, TimeSpan.FromHours(1), 0.5);

        Next(1, TimeSpan.FromSeconds(90)).ShouldBe(TimeSpan.FromSeconds(90));       // 5 s scheduled
        Next(1, TimeSpan.FromHours(6)).ShouldBe(TimeSpan.FromHours(1));             // bounded
        Next(2, TimeSpan.FromSeconds(1)).ShouldBe(TimeSpan.FromMinutes(5));          // not shortened
        Next(5, TimeSpan.FromHours(6)).ShouldBe(TimeSpan.FromHours(5));             // the bound never shortens the schedule
    }

    [Theory]
    [InlineData("00:00:01", true)]
    [InlineData("00:00:05, 00:05:00 ,1.00:00:00", true)]
    [InlineData("", false)]
    [InlineData("00:00:00", false)]
    [InlineData("1.00:00:01", false)]
    [InlineData("soon", false)]
    public void Schedules_are_validated(string schedule, bool valid)
    {
        WebhookOptions.TryParseSchedule(schedule, out _).ShouldBe(valid);
        new WebhookOptions { Schedule = schedule }.Problems().Any().ShouldBe(!valid);
    }

    [Fact]
    public void A_secret_that_is_set_must_be_a_whsec_secret()
    {
        new WebhookOptions().Problems().ShouldBeEmpty(); // unset: webhooks off
        new WebhookOptions { Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }.Problems().ShouldBeEmpty();
        new WebhookOptions { Secret = "a-long-enough-old-style-secret" }.Problems().Single().ShouldContain("Webhooks:Secret");
    }
}
