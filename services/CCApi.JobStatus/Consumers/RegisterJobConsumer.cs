using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// The gateway registers an async job before answering 202: the pending record is written first, then JobRegistered is
/// the answer, so the client's first poll always finds the job.
/// </summary>
public sealed class RegisterJobConsumer(JobUpdater jobs, JobStore store, TimeProvider time) : IConsumer<RegisterJob>
{
    public async Task Consume(ConsumeContext<RegisterJob> context)
    {
        await jobs.ApplyAsync(JobChanges.Registered(context.Message), context, context.CancellationToken);
        if (string.Equals(context.Message.Mode, "async", StringComparison.Ordinal))
        {
            await store.RememberRecentAsync(context.Message.JobId); // the operator console lists the newest async jobs
        }

        await context.RespondAsync(new JobRegistered { JobId = context.Message.JobId, Timestamp = time.GetUtcNow() });
    }
}
