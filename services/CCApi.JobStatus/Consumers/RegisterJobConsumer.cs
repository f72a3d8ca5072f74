using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.Storage;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// The gateway registers an async job before answering 202: the pending record is written first, then JobRegistered is
/// the answer, so the client's first poll always finds the job. The answer goes on the gateway's Redis channel when the
/// request names one (<see cref="SynchronousReplyPublisher"/>: after the record's writes on the same connection), else
/// as a response on the bus.
/// </summary>
public sealed class RegisterJobConsumer(JobUpdater jobs, JobStore store, TimeProvider time, SynchronousReplyPublisher replies) : IConsumer<RegisterJob>
{
    public async Task Consume(ConsumeContext<RegisterJob> context)
    {
        await jobs.ApplyAsync(JobChanges.Registered(context.Message), context, context.CancellationToken);
        if (string.Equals(context.Message.Mode, "async", StringComparison.Ordinal))
        {
            await store.RememberRecentAsync(context.Message.JobId); // the operator console lists the newest async jobs
        }

        var registered = new JobRegistered { JobId = context.Message.JobId, Timestamp = time.GetUtcNow() };
        if (!await replies.TryReplyAsync(context.RequestId, context.Headers.Get<string>(SynchronousReplies.ChannelHeader), registered))
        {
            await context.RespondAsync(registered);
        }
    }
}
