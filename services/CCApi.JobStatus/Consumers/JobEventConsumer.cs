using CCApi.JobStatus.Jobs;
using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// A job event from an adapter or the gateway (started, progressed, generated, completed, synthesized, failed,
/// canceled) written to its job record through the one Lua script. What each event means for the record is decided in
/// one place, <see cref="JobChanges.Of"/>; this consumer only applies it. One consumer for every event, registered
/// explicitly per event type in <see cref="JobStatusMessaging"/>.
/// </summary>
public sealed class JobEventConsumer<TEvent>(JobUpdater jobs) : IConsumer<TEvent>
    where TEvent : class
{
    public Task Consume(ConsumeContext<TEvent> context) =>
        jobs.ApplyAsync(JobChanges.Of(context.Message), context, context.CancellationToken);
}
