using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>The job failed (adapter or gateway): failed, with the CCAPI error the client sees.</summary>
public sealed class JobFailedConsumer(JobUpdater jobs) : IConsumer<JobFailed>
{
    public Task Consume(ConsumeContext<JobFailed> context) =>
        jobs.ApplyAsync(JobChanges.Failed(context.Message), context, context.CancellationToken);
}
