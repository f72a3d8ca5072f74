using CCApi.Adapters.Hosting;
using MassTransit;

namespace CCApi.Shared.Tests;

/// <summary>
/// When an adapter looks at JobStatus' record before starting a job: only for a command this replica may not have heard
/// the cancellation of — one that waited in its queue, one created before its cancellation queue listened (give or take
/// the clock skew), or while that queue is not listening. A fresh command starts without a Redis round trip.
/// </summary>
public sealed class JobCancellationsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Only_a_command_that_waited_or_was_created_before_the_cancellation_queue_listened_needs_the_store()
    {
        var time = new SettableTime(Start);
        var cancellations = new JobCancellations(time, redis: null!);
        IReceiveEndpointObserver queue = cancellations;

        cancellations.MayHaveMissedCancellation(Start).ShouldBeTrue("not listening yet");

        await queue.Ready(null!);
        cancellations.MayHaveMissedCancellation(Start.AddMinutes(-1)).ShouldBeTrue("queued before the replica listened");
        var listening = Start + JobCancellations.ClockSkew;
        time.Now = listening;
        cancellations.MayHaveMissedCancellation(listening - TimeSpan.FromMilliseconds(1)).ShouldBeTrue("within the clock skew");
        cancellations.MayHaveMissedCancellation(listening).ShouldBeFalse("created while listening, started at once");
        time.Now = listening + JobCancellations.Fresh;
        cancellations.MayHaveMissedCancellation(listening).ShouldBeFalse("started within the freshness window");
        time.Now = listening + JobCancellations.Fresh + TimeSpan.FromMilliseconds(1);
        cancellations.MayHaveMissedCancellation(listening).ShouldBeTrue("waited in its queue: the cancellation may be queued behind it");

        await queue.Faulted(null!); // the connection dropped: the temporary queue and what was published to it are gone
        cancellations.MayHaveMissedCancellation(Start.AddMinutes(1)).ShouldBeTrue();

        time.Now = Start.AddMinutes(2);
        await queue.Ready(null!); // listening again, on a new queue
        time.Now = Start.AddMinutes(3);
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
