using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>A chat completion finished: completed, with usage (the text itself went to the client).</summary>
public sealed class ChatCompletedConsumer(JobUpdater jobs) : IConsumer<ChatCompleted>
{
    public Task Consume(ConsumeContext<ChatCompleted> context) =>
        jobs.ApplyAsync(JobChanges.ChatCompleted(context.Message), context, context.CancellationToken);
}
