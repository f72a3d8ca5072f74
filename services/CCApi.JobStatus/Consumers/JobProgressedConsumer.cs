using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>Progress of a running job; only ever goes up.</summary>
public sealed class JobProgressedConsumer(JobUpdater jobs) : IConsumer<JobProgressed>
{
    public Task Consume(ConsumeContext<JobProgressed> context) =>
        jobs.ApplyAsync(JobChanges.Progressed(context.Message), context, context.CancellationToken);
}
