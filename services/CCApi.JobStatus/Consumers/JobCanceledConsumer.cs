using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>The client went away or asked to stop: canceled, unless already final.</summary>
public sealed class JobCanceledConsumer(JobUpdater jobs) : IConsumer<JobCanceled>
{
    public Task Consume(ConsumeContext<JobCanceled> context) =>
        jobs.ApplyAsync(JobChanges.Canceled(context.Message), context, context.CancellationToken);
}
