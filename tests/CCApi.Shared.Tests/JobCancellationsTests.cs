using CCApi.Adapters.Hosting;
using MassTransit;

namespace CCApi.Shared.Tests;

/// <summary>
/// When an adapter looks at JobStatus' record before starting a job: only for a command this replica may not have heard
/// the cancellation of — created before its cancellation queue listened (give or take the clock skew), or while that
/// queue is not listening. Every other command starts without a Redis round trip.
/// </summary>
public sealed class JobCancellationsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Only_a_command_created_before_the_cancellation_queue_listened_or_while_it_does_not_needs_the_store()
    {
        var time = new SettableTime(Start);
        var cancellations = new JobCancellations(time, redis: null!);
        IReceiveEndpointObserver queue = cancellations;

        cancellations.MayHaveMissedCancellation(Start).ShouldBeTrue("not listening yet");

        await queue.Ready(null!);
        cancellations.MayHaveMissedCancellation(Start.AddMinutes(-1)).ShouldBeTrue("queued before the replica listened");
        cancellations.MayHaveMissedCancellation(Start + JobCancellations.ClockSkew - TimeSpan.FromMilliseconds(1)).ShouldBeTrue("within the clock skew");
        cancellations.MayHaveMissedCancellation(Start + JobCancellations.ClockSkew).ShouldBeFalse("created while listening");

        await queue.Faulted(null!); // the connection dropped: the temporary queue and what was published to it are gone
        cancellations.MayHaveMissedCancellation(Start.AddMinutes(1)).ShouldBeTrue();

        time.Now = Start.AddMinutes(2);
        await queue.Ready(null!); // listening again, on a new queue
        cancellations.MayHaveMissedCancellation(Start.AddMinutes(1)).ShouldBeTrue("created while the queue was gone");
        cancellations.MayHaveMissedCancellation(Start.AddMinutes(3)).ShouldBeFalse();

        await queue.Stopping(null!);
        cancellations.MayHaveMissedCancellation(Start.AddMinutes(3)).ShouldBeTrue();
    }

    private sealed class SettableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
