using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>Speech is ready: completed, with usage.</summary>
public sealed class SpeechSynthesizedConsumer(JobUpdater jobs) : IConsumer<SpeechSynthesized>
{
    public Task Consume(ConsumeContext<SpeechSynthesized> context) =>
        jobs.ApplyAsync(JobChanges.SpeechSynthesized(context.Message), context, context.CancellationToken);
}
