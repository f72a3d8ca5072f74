using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// A Speech command that its adapter could not process even after retries (a poison message, a crash loop): MassTransit
/// publishes the fault, and the job ends failed with a 502 provider_error instead of staying pending or processing forever.
/// </summary>
public sealed class SpeechFaultConsumer(JobUpdater jobs) : IConsumer<Fault<Speech>>
{
    public Task Consume(ConsumeContext<Fault<Speech>> context)
    {
        var command = context.Message.Message;
        var change = JobChanges.Faulted(nameof(Speech), command.JobId, FaultTime.Of(context.Message), command.Route, JobKind.Speech);
        return jobs.ApplyAsync(change, context, context.CancellationToken);
    }
}
