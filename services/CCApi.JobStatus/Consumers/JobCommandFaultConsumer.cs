using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// A job command that its adapter could not process even after retries (a poison message, a crash loop): MassTransit
/// publishes <see cref="Fault{T}"/>, and the job ends failed with a 502 provider_error instead of staying pending or
/// processing forever. One consumer for every command, registered explicitly per command type in Program.cs.
/// </summary>
public sealed class JobCommandFaultConsumer<TCommand>(JobUpdater jobs) : IConsumer<Fault<TCommand>>
    where TCommand : class, IJobCommand
{
    public Task Consume(ConsumeContext<Fault<TCommand>> context)
    {
        var command = context.Message.Message;
        var change = command switch
        {
            GenerateImage image => JobChanges.Faulted(nameof(GenerateImage), image.JobId, FaultTime.Of(context.Message), image.Route, JobKind.Image, image.Async, image.Operation),
            ChatCompletion chat => JobChanges.Faulted(nameof(ChatCompletion), chat.JobId, FaultTime.Of(context.Message), chat.Route, JobKind.Chat),
            Speech speech => JobChanges.Faulted(nameof(Speech), speech.JobId, FaultTime.Of(context.Message), speech.Route, JobKind.Speech),
            _ => throw new NotSupportedException($"No job kind is known for the command {typeof(TCommand).Name}."),
        };
        return jobs.ApplyAsync(change, context, context.CancellationToken);
    }
}
