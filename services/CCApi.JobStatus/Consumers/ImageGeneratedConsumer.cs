using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>Images are ready: completed, with the images, revised prompt and usage.</summary>
public sealed class ImageGeneratedConsumer(JobUpdater jobs) : IConsumer<ImageGenerated>
{
    public Task Consume(ConsumeContext<ImageGenerated> context) =>
        jobs.ApplyAsync(JobChanges.ImageGenerated(context.Message), context, context.CancellationToken);
}
