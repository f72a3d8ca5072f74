using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>An adapter picked the job up: pending → processing.</summary>
public sealed class JobStartedConsumer(JobUpdater jobs) : IConsumer<JobStarted>
{
    public Task Consume(ConsumeContext<JobStarted> context) =>
        jobs.ApplyAsync(JobChanges.Started(context.Message), context, context.CancellationToken);
}
