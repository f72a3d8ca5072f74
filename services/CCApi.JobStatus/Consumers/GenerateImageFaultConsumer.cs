using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// A GenerateImage command that its adapter could not process even after retries (a poison message, a crash loop): MassTransit
/// publishes the fault, and the job ends failed with a 502 provider_error instead of staying pending or processing forever.
/// </summary>
public sealed class GenerateImageFaultConsumer(JobUpdater jobs) : IConsumer<Fault<GenerateImage>>
{
    public Task Consume(ConsumeContext<Fault<GenerateImage>> context)
    {
        var command = context.Message.Message;
        var change = JobChanges.Faulted(nameof(GenerateImage), command.JobId, FaultTime.Of(context.Message), command.Route, JobKind.Image, command.Async, command.Operation);
        return jobs.ApplyAsync(change, context, context.CancellationToken);
    }
}
