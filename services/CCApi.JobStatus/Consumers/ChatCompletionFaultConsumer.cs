using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// A ChatCompletion command that its adapter could not process even after retries (a poison message, a crash loop): MassTransit
/// publishes the fault, and the job ends failed with a 502 provider_error instead of staying pending or processing forever.
/// </summary>
public sealed class ChatCompletionFaultConsumer(JobUpdater jobs) : IConsumer<Fault<ChatCompletion>>
{
    public Task Consume(ConsumeContext<Fault<ChatCompletion>> context)
    {
        var command = context.Message.Message;
        var change = JobChanges.Faulted(nameof(ChatCompletion), command.JobId, FaultTime.Of(context.Message), command.Route, JobKind.Chat);
        return jobs.ApplyAsync(change, context, context.CancellationToken);
    }
}
